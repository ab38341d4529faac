package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// scripts/cdk-app builds the app only when a file of the module or a Go
// setting changed since the last build (go build's own check costs most of
// a second each synth). A fake go records the builds; `go env` output
// varies in GOGCCFLAGS from run to run, as the real one does.
func TestCdkAppBuildsOnlyWhatChanged(t *testing.T) {
	if exec.Command("find", ".", "-maxdepth", "0", "-printf", "").Run() != nil {
		t.Skip("no GNU find: cdk-app always builds")
	}
	module, bin := t.TempDir(), t.TempDir()
	script, err := os.ReadFile("scripts/cdk-app")
	if err != nil {
		t.Fatal(err)
	}
	write := func(path, body string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(module, "scripts", "cdk-app"), string(script), 0o755)
	write(filepath.Join(module, "go.mod"), "module example.com/app\n", 0o644)
	write(filepath.Join(module, "main.go"), "package main\n", 0o644)
	log := filepath.Join(bin, "builds")
	write(filepath.Join(bin, "go"), `#!/bin/sh
case "$1" in
env) [ "$2" = GOWORK ] && { echo; exit 0; }; echo GOVERSION=go1.26; echo "GOGCCFLAGS=-ffile-prefix-map=/tmp/go-build$$=/tmp/go-build" ;;
build) echo build >> "`+log+`"; printf '#!/bin/sh\necho ran\n' > "$3"; chmod +x "$3" ;;
*) exit 2 ;;
esac
`, 0o755)
	run := func(wantBuilds int) {
		t.Helper()
		cmd := exec.Command("sh", filepath.Join(module, "scripts", "cdk-app"))
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "JSII_NODE=node")
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "ran" {
			t.Fatalf("cdk-app: %v: %s", err, out)
		}
		logged, _ := os.ReadFile(log)
		if n := strings.Count(string(logged), "build"); n != wantBuilds {
			t.Fatalf("%d builds, want %d", n, wantBuilds)
		}
	}
	run(1) // no binary yet
	run(1) // nothing changed
	write(filepath.Join(module, "main.go"), "package main\n\nfunc main() {}\n", 0o644)
	run(2) // a source changed
	run(2)
	write(filepath.Join(module, "go.mod"), "module example.com/app\n\nreplace example.com/lib => ../lib\n", 0o644)
	run(3) // a directory replacement: its files are not in the stamp
	run(4)
}
