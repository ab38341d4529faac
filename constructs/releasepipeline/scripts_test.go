package releasepipeline

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/djangocdk/djangocdk/constructs/releasepipeline/testdata/fakeaws"
)

// The release scripts run here against a fake account: testdata/fakeaws,
// built once, stands in for aws, docker, sleep and date (a fake clock), and
// keeps its state in a JSON file between calls.

var (
	fakeBin   string // a directory with aws, docker, sleep and date
	fakeErr   error
	queryFile string // every --query the fake answered, for checkQueries
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fakeaws")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fakeBin, queryFile = filepath.Join(dir, "bin"), filepath.Join(dir, "queries.jsonl")
	fakeErr = buildFake(fakeBin)
	code := m.Run()
	if code == 0 {
		code = checkQueries(queryFile)
	}
	if os.Getenv("KEEP_FAKE") == "" {
		os.RemoveAll(dir)
	} else {
		fmt.Println("fake in", dir)
	}
	os.Exit(code)
}

func buildFake(bin string) error {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	exe := filepath.Join(bin, "fakeaws")
	if out, err := exec.Command(goTool, "build", "-o", exe, "./testdata/fakeaws/cmd").CombinedOutput(); err != nil {
		return fmt.Errorf("building the fake aws: %v\n%s", err, out)
	}
	for _, name := range []string{"aws", "docker", "sleep", "date"} {
		if err := os.Symlink(exe, filepath.Join(bin, name)); err != nil {
			return err
		}
	}
	// The python3 on PATH may be a slow shim (pyenv): run-task.sh gets the
	// interpreter itself.
	if out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output(); err == nil {
		if err := os.Symlink(strings.TrimSpace(string(out)), filepath.Join(bin, "python3")); err != nil {
			return err
		}
	}
	return nil
}

// checkQueries compares the fake's answers to --query with JMESPath's (the
// Python package the AWS CLI uses), when it is installed: the scripts'
// queries are then checked against the shapes of the fake's responses.
func checkQueries(file string) int {
	if _, err := os.Stat(file); err != nil {
		return 0
	}
	check := `
import json, sys
try:
    import jmespath
except ImportError:
    print("jmespath is not installed: the fake's query answers were not checked"); sys.exit(0)
bad = set()
for line in open(sys.argv[1]):
    q = json.loads(line)
    try:
        want = jmespath.search(q["query"], q["input"])
    except jmespath.exceptions.JMESPathError as e:
        want = "%s: %s" % (type(e).__name__, e)
    if want != q["output"]:
        bad.add("the fake answers %r with %r, JMESPath with %r" % (q["query"], q["output"], want))
print("\n".join(sorted(bad)))
sys.exit(1 if bad else 0)
`
	out, err := exec.Command("python3", "-c", check, file).CombinedOutput()
	if _, missing := err.(*exec.Error); missing {
		return 0
	}
	if len(out) > 0 {
		fmt.Print(string(out))
	}
	if err != nil {
		fmt.Println("FAIL: testdata/fakeaws/queries.go disagrees with JMESPath")
		return 1
	}
	return 0
}

type result struct {
	out   string
	err   error
	calls []string
	world *fakeaws.World
}

// run runs script in world with env; the world afterwards is in the result.
func run(t *testing.T, w *fakeaws.World, script string, env ...string) result {
	t.Helper()
	if fakeErr != nil {
		t.Fatal(fakeErr)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is needed to run the release scripts")
	}
	dir := t.TempDir()
	worldFile, log := filepath.Join(dir, "world.json"), filepath.Join(dir, "calls.log")
	data, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(worldFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	path, err := filepath.Abs(filepath.Join("scripts", script))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", path)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"PATH=" + fakeBin + ":" + os.Getenv("PATH"), "FAKE_WORLD=" + worldFile, "FAKE_LOG=" + log,
		"FAKE_QUERIES=" + queryFile, "AWS_REGION=eu-west-1"}, env...)
	// The script leads its process group: the fake signals it there.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s did not end within 20s:\n%s", script, out)
	}
	r := result{out: string(out), err: err, world: &fakeaws.World{}}
	if calls, err := os.ReadFile(log); err == nil {
		r.calls = strings.Split(strings.TrimSpace(string(calls)), "\n")
	}
	if data, err = os.ReadFile(worldFile); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, r.world); err != nil {
		t.Fatal(err)
	}
	for _, c := range r.calls {
		if strings.HasPrefix(c, "FAKE ERROR") {
			t.Fatalf("%s\noutput:\n%s", c, out)
		}
	}
	return r
}

// index is the position of the first call containing substring, or -1.
func (r result) index(substring string) int {
	for i, c := range r.calls {
		if strings.Contains(c, substring) {
			return i
		}
	}
	return -1
}

// lastIndex is the position of the last call containing substring, or -1.
func (r result) lastIndex(substring string) int {
	for i := len(r.calls) - 1; i >= 0; i-- {
		if strings.Contains(r.calls[i], substring) {
			return i
		}
	}
	return -1
}

func (r result) called(substring string) bool { return r.index(substring) >= 0 }

func (r result) count(substring string) int {
	n := 0
	for _, c := range r.calls {
		if strings.Contains(c, substring) {
			n++
		}
	}
	return n
}

// with returns env with each KEY=value of changes replacing KEY's entry.
func with(env []string, changes ...string) []string {
	out := append([]string(nil), env...)
	for _, c := range changes {
		key := c[:strings.Index(c, "=")+1]
		found := false
		for i, e := range out {
			if strings.HasPrefix(e, key) {
				out[i], found = c, true
			}
		}
		if !found {
			out = append(out, c)
		}
	}
	return out
}

func count(n int) *int { return &n }

const (
	repo     = "1.dkr.ecr.eu-west-1.amazonaws.com/shop"
	newImage = repo + ":abc123"
	oldImage = repo + ":old456"
)

func taskDefinition(family, command string) fakeaws.TaskDefinition {
	var d map[string]any
	err := json.Unmarshal([]byte(`{"family":"`+family+`","taskDefinitionArn":"arn:aws:ecs:eu-west-1:1:task-definition/`+family+`:7",
"revision":7,"status":"ACTIVE","executionRoleArn":"arn:exec","taskRoleArn":"arn:task","networkMode":"awsvpc","cpu":"512","memory":"1024",
"requiresCompatibilities":["FARGATE"],"runtimePlatform":{"cpuArchitecture":"ARM64"},
"containerDefinitions":[{"name":"django","image":"`+oldImage+`","command":`+command+`}]}`), &d)
	if err != nil {
		panic(err)
	}
	return fakeaws.TaskDefinition{Family: family, Revision: 7, Definition: d}
}

// steady is a service that runs image at n tasks (healthy ones, behind a
// load balancer).
func steady(image string, n int) []fakeaws.ServicePhase {
	return []fakeaws.ServicePhase{{Image: image, Desired: n, Running: n, Healthy: n}}
}

// newWorld is an account where releasing abc123 goes well: the image is
// pushed, the tasks exit 0 after 30 s, the stack updates in 60 s, and the
// web (2 tasks, load balanced), worker (1) and beat (1, no scalable target)
// services run the new image as soon as it is complete.
func newWorld() *fakeaws.World {
	exited := "Essential container in task exited"
	return &fakeaws.World{
		Images:     []string{"old456", "abc123", "buildcache"},
		Parameters: map[string]string{"/shop/prod/image-tag": "old456"},
		Stack: fakeaws.Stack{
			Name: "shop-prod-compute", ParameterKeys: []string{"SsmParameterValueImageTag", "BootstrapVersion"}, Status: "UPDATE_COMPLETE",
			AfterUpdate: []fakeaws.Phase{{At: 0, Status: "UPDATE_IN_PROGRESS"}, {At: 60, Status: "UPDATE_COMPLETE"}},
		},
		TaskDefinitions: []fakeaws.TaskDefinition{
			taskDefinition("shop-prod-migrate", `["python","manage.py","migrate","--noinput"]`),
			taskDefinition("shop-prod-static", `["python","manage.py","collectstatic","--noinput"]`),
		},
		Runs: map[string]fakeaws.Run{
			"shop-prod-migrate": {Duration: 30, ExitCode: count(0), Reason: exited},
			"shop-prod-static":  {Duration: 30, ExitCode: count(0), Reason: exited},
		},
		Services: map[string]*fakeaws.Service{
			"web":    {LoadBalanced: true, MinCapacity: count(2), Phases: steady(newImage, 2)},
			"worker": {MinCapacity: count(1), Phases: steady(newImage, 1)},
			"beat":   {Phases: steady(newImage, 1)},
		},
	}
}

// frontend writes a frontend build and returns its FRONTENDS line.
func frontend(t *testing.T) string {
	build := filepath.Join(t.TempDir(), "apps", "web", "dist")
	if err := os.MkdirAll(filepath.Join(build, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(build, "index.html"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	return build + " assets/ web-bucket E123"
}

func TestPublishSyncsAndInvalidates(t *testing.T) {
	line := frontend(t)
	build := strings.Fields(line)[0]
	r := run(t, newWorld(), "publish.sh", "FRONTENDS="+line+"\n")
	if r.err != nil {
		t.Fatalf("publish failed: %v\n%s", r.err, r.out)
	}
	for _, want := range []string{
		"s3 sync " + build + " s3://web-bucket --exclude * --include assets/* --cache-control public,max-age=31536000,immutable",
		"s3 sync " + build + " s3://web-bucket --exclude assets/* --cache-control no-cache",
		"cloudfront create-invalidation --distribution-id E123 --paths /*",
	} {
		if !r.called(want) {
			t.Errorf("no call %q in %v", want, r.calls)
		}
	}
	r = run(t, newWorld(), "publish.sh", "FRONTENDS="+filepath.Join(t.TempDir(), "missing")+" assets/ web-bucket E123")
	if r.err == nil || !strings.Contains(r.out, "index.html is missing") {
		t.Errorf("publishing a missing build: err %v, output %s", r.err, r.out)
	}
}

func TestScriptCommandCarriesTheScript(t *testing.T) {
	cmd := scriptsCommand("release.sh", "run-task.sh")
	parts := strings.Split(cmd, " && ")
	if len(parts) != 4 || parts[0] != "mkdir -p /tmp/release" || parts[3] != "bash /tmp/release/release.sh" {
		t.Fatalf("command %.120s...", cmd)
	}
	for i, name := range []string{"release.sh", "run-task.sh"} {
		body, _ := scripts.ReadFile("scripts/" + name)
		want := "echo " + base64.StdEncoding.EncodeToString(body) + " | base64 -d > /tmp/release/" + name
		if parts[i+1] != want {
			t.Errorf("%s is not carried as it is: %.80s...", name, parts[i+1])
		}
	}
}
