package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// cdkCommand is a CDK CLI command as the README shows it: "npm run cdk --
// synth -c env=staging", "npx cdk deploy ...", or `cdk diff ...`.
var cdkCommand = regexp.MustCompile("(?:npm run cdk --|npx cdk|`cdk) ([a-z]+)((?: [^ `\\n&|;)]+)*)")

// cliRegistry is the pinned CLI's table of its commands and options: the
// CLI builds its parser from the same definitions and checks the options
// it is given against this file (lib/cli/util/check-unknown-options.js).
const cliRegistry = "node_modules/aws-cdk/lib/cli/cli-type-registry.json"

// cliOption is an option of cliRegistry.
type cliOption struct {
	Alias         any    `json:"alias"` // a string or a list of them
	NegativeAlias string `json:"negativeAlias"`
}

// cliOptions returns the options' names as a command line spells them
// ("--all", "-c"), with their aliases.
func cliOptions(defs map[string]cliOption) map[string]bool {
	known := map[string]bool{}
	add := func(name string) {
		if len(name) == 1 {
			known["-"+name] = true
		} else if name != "" {
			known["--"+name] = true
		}
	}
	for name, def := range defs {
		add(name)
		add(def.NegativeAlias)
		switch alias := def.Alias.(type) {
		case string:
			add(alias)
		case []any:
			for _, a := range alias {
				s, _ := a.(string)
				add(s)
			}
		}
	}
	return known
}

// TestReadmeCommandsTheCLIAccepts checks every cdk command of the README
// against the pinned CLI's registry: the command exists and each option is
// one of its own or a global one (the CLI runs a command with an unknown
// option, such as "diff --all", and only warns).
func TestReadmeCommandsTheCLIAccepts(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var registry struct {
		GlobalOptions map[string]cliOption `json:"globalOptions"`
		Commands      map[string]struct {
			Aliases []string             `json:"aliases"`
			Options map[string]cliOption `json:"options"`
		} `json:"commands"`
	}
	readJSON(t, cliRegistry, &registry)
	if len(registry.Commands) == 0 || len(registry.GlobalOptions) == 0 {
		t.Fatalf("%s lists no commands or no global options", cliRegistry)
	}
	global := cliOptions(registry.GlobalOptions)
	options := map[string]map[string]bool{}
	for name, command := range registry.Commands {
		known := cliOptions(command.Options)
		for _, alias := range append(command.Aliases, name) {
			options[alias] = known
		}
	}
	matches := cdkCommand.FindAllStringSubmatch(string(readme), -1)
	if len(matches) < 5 {
		t.Fatalf("%d cdk commands found in README.md, want the quick start's and the deployment's", len(matches))
	}
	for _, m := range matches {
		command, args := m[1], strings.Fields(m[2])
		known, ok := options[command]
		if !ok {
			t.Errorf("README: %q: the pinned CLI has no command %q", m[0], command)
			continue
		}
		accepted := func(name string) bool { return known[name] || global[name] }
		for _, arg := range args {
			if !strings.HasPrefix(arg, "-") {
				continue
			}
			name, _, _ := strings.Cut(arg, "=")
			negated, isNegation := strings.CutPrefix(name, "--no-") // --no-color is an option of its own
			if !accepted(name) && !(isNegation && accepted("--"+negated)) {
				t.Errorf("README: %q: cdk %s has no option %s", m[0], command, name)
			}
		}
	}
}

// TestCLIBannerSilenced checks that the npm script the README uses runs the
// pinned CLI with the variable that silences its upgrade banner, and that
// the pinned CLI reads that variable.
func TestCLIBannerSilenced(t *testing.T) {
	raw, err := os.ReadFile("package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		t.Fatal(err)
	}
	if got := pkg.Scripts["cdk"]; got != "CDK_DISABLE_VERSION_CHECK=1 cdk" {
		t.Errorf(`package.json: scripts.cdk is %q, want "CDK_DISABLE_VERSION_CHECK=1 cdk"`, got)
	}
	cli, err := os.ReadFile("node_modules/aws-cdk/lib/index.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cli), "!process.env.CDK_DISABLE_VERSION_CHECK") {
		t.Error("the pinned CLI does not gate its version banner on CDK_DISABLE_VERSION_CHECK")
	}
}
