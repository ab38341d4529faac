package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// cdkCommand is a CDK CLI command as the README shows it: "npm run cdk --
// synth -c env=staging", "npx cdk deploy ...", or `cdk diff ...`.
var cdkCommand = regexp.MustCompile("(?:npm run cdk --|npx cdk|`cdk) ([a-z]+)((?: [^ `\\n&|;)]+)*)")

// helpOption is an option in the CLI's --help output.
var helpOption = regexp.MustCompile(`(?m)(?:^|[\s,])(--?[A-Za-z][\w-]*)`)

// TestReadmeCommandsTheCLIAccepts checks every cdk command of the README
// against the pinned CLI: the command exists and each option is one its
// --help lists (the CLI ignores an unknown option, such as "diff --all",
// silently).
func TestReadmeCommandsTheCLIAccepts(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	matches := cdkCommand.FindAllStringSubmatch(string(readme), -1)
	if len(matches) < 5 {
		t.Fatalf("%d cdk commands found in README.md, want the quick start's and the deployment's", len(matches))
	}
	options := map[string]map[string]bool{}
	for _, m := range matches {
		command, args := m[1], strings.Fields(m[2])
		known, ok := options[command]
		if !ok {
			out, err := exec.Command("node_modules/.bin/cdk", command, "--help").CombinedOutput()
			if err != nil {
				t.Fatalf("cdk %s --help: %v\n%s", command, err, out)
			}
			known = map[string]bool{}
			if strings.HasPrefix(strings.TrimSpace(string(out)), "cdk "+command) {
				for _, o := range helpOption.FindAllStringSubmatch(string(out), -1) {
					known[o[1]] = true
				}
			}
			options[command] = known
		}
		if len(known) == 0 {
			t.Errorf("README: %q: the pinned CLI has no command %q", m[0], command)
			continue
		}
		for _, arg := range args {
			if !strings.HasPrefix(arg, "-") {
				continue
			}
			name, _, _ := strings.Cut(arg, "=")
			if negated, ok := strings.CutPrefix(name, "--no-"); ok {
				name = "--" + negated
			}
			if !known[name] {
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
