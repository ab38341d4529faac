package cost

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// stackTemplate is one synthesized CloudFormation template of the assembly.
type stackTemplate struct {
	Name      string
	Region    string
	Resources map[string]resource `json:"Resources"`
}

// resource is one resource of a template.
type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

// readAssembly reads the stacks that manifest.json of the cloud assembly in
// dir lists, sorted by name.
func readAssembly(dir string) ([]*stackTemplate, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("%s is not a cloud assembly (synthesize one with npx cdk synth -c env=NAME -o %s): %w", dir, dir, err)
	}
	var manifest struct {
		Artifacts map[string]struct {
			Type        string `json:"type"`
			Environment string `json:"environment"`
			Properties  struct {
				TemplateFile string `json:"templateFile"`
				StackName    string `json:"stackName"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	var out []*stackTemplate
	for id, a := range manifest.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		path := filepath.Join(dir, a.Properties.TemplateFile)
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("stack %s: %w", id, err)
		}
		t := &stackTemplate{Name: a.Properties.StackName}
		if err := json.Unmarshal(raw, t); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if t.Name == "" {
			t.Name = id
		}
		// aws://ACCOUNT/REGION; unknown-region for environment-agnostic stacks.
		if parts := strings.Split(a.Environment, "/"); len(parts) == 4 {
			t.Region = parts[3]
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: manifest.json lists no CloudFormation stack", dir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ids returns the logical IDs of the template's resources of type typ, sorted.
func (t *stackTemplate) ids(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// number reads a numeric property: a number, a numeric string, or an
// Fn::If whose first branch is one. A template's conditions describe the
// running environment when true (ImagePushed: the first release is out),
// so Fn::If counts its first branch. ok is false when the property is
// absent or AWS::NoValue.
func (t *stackTemplate) number(id, prop string, v any) (n float64, ok bool, err error) {
	switch v := v.(type) {
	case nil:
		return 0, false, nil
	case float64:
		return v, true, nil
	case string:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, false, fmt.Errorf("stack %s, resource %s: %s is %q, not a number", t.Name, id, prop, v)
		}
		return n, true, nil
	case map[string]any:
		if branches, isIf := v["Fn::If"].([]any); isIf && len(branches) == 3 {
			return t.number(id, prop, branches[1])
		}
		if v["Ref"] == "AWS::NoValue" {
			return 0, false, nil
		}
	}
	raw, _ := json.Marshal(v)
	return 0, false, fmt.Errorf("stack %s, resource %s: %s is %s, which the estimate cannot read as a number; give it a literal value", t.Name, id, prop, raw)
}

// text reads a string property; "" when absent or not a literal.
func text(v any) string {
	s, _ := v.(string)
	return s
}

// refersTo reports whether v holds a Ref or Fn::GetAtt of logical ID id.
func refersTo(v any, id string) bool {
	switch v := v.(type) {
	case map[string]any:
		if v["Ref"] == id {
			return true
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(att) > 0 && att[0] == id {
			return true
		}
		for _, x := range v {
			if refersTo(x, id) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if refersTo(x, id) {
				return true
			}
		}
	}
	return false
}

// ref returns the logical ID a {"Ref": ID} value names, or "".
func ref(v any) string {
	m, _ := v.(map[string]any)
	return text(m["Ref"])
}

// list returns a list property, or nil.
func list(v any) []any {
	l, _ := v.([]any)
	return l
}

var logicalIDHash = regexp.MustCompile(`[0-9A-F]{8}$`)

// shortID drops the hash CDK appends to logical IDs: WebService436DDF84 is
// WebService.
func shortID(id string) string {
	if s := logicalIDHash.ReplaceAllString(id, ""); s != "" {
		return s
	}
	return id
}
