package main

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestNoNestedStackOutputs fails on any Fn::GetStackOutput (a weak
// cross-stack reference) inside another intrinsic function. CloudFormation
// documents Fn::GetStackOutput as a property value, not as an argument of
// Fn::Join, Fn::Select, Fn::Split or Fn::Sub, and linters reject those
// nestings: a value another stack owns must then come from a name that
// config determines or from an SSM parameter read at deploy time.
func TestNoNestedStackOutputs(t *testing.T) {
	for _, env := range environments {
		s := synth(t, env)
		for _, name := range s.stackNames() {
			var tmpl map[string]any
			readJSON(t, filepath.Join(s.outdir, name+".template.json"), &tmpl)
			for _, section := range []string{"Resources", "Outputs", "Conditions", "Rules"} {
				entries, _ := tmpl[section].(map[string]any)
				for _, id := range slices.Sorted(maps.Keys(entries)) {
					for _, path := range nestedStackOutputs(entries[id], section+"/"+id, nil) {
						t.Errorf("%s: %s: Fn::GetStackOutput nested in %s", name, path.at, strings.Join(path.in, " > "))
					}
				}
			}
		}
	}
}

// nestedStackOutput is where a nested Fn::GetStackOutput is: its path in
// the template and the functions it sits in, outermost first.
type nestedStackOutput struct {
	at string
	in []string
}

// nestedStackOutputs returns every Fn::GetStackOutput under node (at path)
// that has an intrinsic function (a key starting with "Fn::") among its
// ancestors, fns being those above node.
func nestedStackOutputs(node any, path string, fns []string) []nestedStackOutput {
	var found []nestedStackOutput
	switch n := node.(type) {
	case map[string]any:
		for _, key := range slices.Sorted(maps.Keys(n)) {
			if key == "Fn::GetStackOutput" && len(fns) > 0 {
				found = append(found, nestedStackOutput{at: path, in: fns})
			}
			inner := fns
			if strings.HasPrefix(key, "Fn::") {
				inner = append(append([]string(nil), fns...), key)
			}
			found = append(found, nestedStackOutputs(n[key], path+"/"+key, inner)...)
		}
	case []any:
		for i, v := range n {
			found = append(found, nestedStackOutputs(v, fmt.Sprintf("%s/%d", path, i), fns)...)
		}
	}
	return found
}
