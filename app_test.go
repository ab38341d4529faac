package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	_ "github.com/djangocdk/djangocdk/internal/fastnode" // jsii on the Node 24 npm ci installs
	"github.com/djangocdk/djangocdk/stacks"
)

var update = flag.Bool("update", false, "rewrite the golden templates in testdata/golden")

// environments are the environments shipped in cdk.json.
var environments = []string{"dev", "staging", "production"}

// outRoot holds the cloud assemblies synthesized by this test binary.
var outRoot string

// project is the project of cdk.json: names in the tests are derived from
// it (named), so that a copy of the repository with its own project passes.
var project string

// named replaces {project} in s with the project of cdk.json.
func named(s string) string { return strings.ReplaceAll(s, "{project}", project) }

// loadProject reads the project from the configuration in context.
func loadProject(context map[string]any) (string, error) {
	cfg, err := stacks.LoadConfig(context)
	if err != nil {
		return "", err
	}
	return cfg.Project, nil
}

// readContext returns the context of cdk.json, as the CLI passes it to the app.
func readContext() (map[string]any, error) {
	raw, err := os.ReadFile("cdk.json")
	if err != nil {
		return nil, err
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	return file.Context, nil
}

func TestMain(m *testing.M) {
	flag.Parse()
	context, err := readContext()
	if err == nil {
		project, err = loadProject(context)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if outRoot, err = os.MkdirTemp("", "djangocdk-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(outRoot)
	os.Exit(code)
}

// cdkContext returns the context of cdk.json, as the CLI passes it to the app.
func cdkContext(t *testing.T) map[string]any {
	t.Helper()
	context, err := readContext()
	if err != nil {
		t.Fatal(err)
	}
	return context
}

// synthesized is one environment's app, synthesized once and shared by tests.
type synthesized struct {
	cfg    *stacks.Config
	stacks *stacks.Stacks
	outdir string
}

var synthCache = map[string]*synthesized{}

// synth returns the synthesized app of env, building it on first use with
// the same context (feature flags, config) that the CDK CLI gives the app.
func synth(t *testing.T, env string) *synthesized {
	t.Helper()
	return synthVariant(t, env, env, nil)
}

// synthVariant returns the app of env with edit applied to cdk.json's
// context, synthesized once under name: a configuration the shipped
// environments do not use (a proxy, cluster mode, ...).
func synthVariant(t *testing.T, name, env string, edit func(map[string]any)) *synthesized {
	t.Helper()
	if s, ok := synthCache[name]; ok {
		return s
	}
	context := cdkContext(t)
	context[stacks.EnvKey] = env
	if edit != nil {
		edit(context)
	}
	cfg, err := stacks.LoadConfig(context)
	if err != nil {
		t.Fatalf("config of %s: %v", env, err)
	}
	outdir := filepath.Join(outRoot, name)
	app := stacks.NewApp(&awscdk.AppProps{Context: &context, Outdir: jsii.String(outdir)})
	built, err := stacks.Build(app)
	if err != nil {
		t.Fatalf("building %s: %v", env, err)
	}
	if err := try(func() { app.Synth(nil) }); err != nil {
		t.Fatalf("synthesizing %s: %v", env, err)
	}
	s := &synthesized{cfg: cfg, stacks: built, outdir: outdir}
	synthCache[name] = s
	return s
}

// stackNames returns the names of the environment's stacks in order.
func (s *synthesized) stackNames() []string {
	var names []string
	for _, stack := range s.stacks.All() {
		names = append(names, *stack.StackName())
	}
	return names
}

// template returns the synthesized template of the stack of layer.
func (s *synthesized) template(t *testing.T, layer string) map[string]any {
	t.Helper()
	var tmpl map[string]any
	readJSON(t, filepath.Join(s.outdir, s.cfg.StackName(layer)+".template.json"), &tmpl)
	return tmpl
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// assert runs CDK assertions, which panic inside jsii on failure, and turns
// a failure into t.Fatalf instead of a crash of the whole test binary.
func assert(t *testing.T, tmpl map[string]any, check func(assertions.Template)) {
	t.Helper()
	if err := try(func() { check(assertions.Template_FromJSON(&tmpl, nil)) }); err != nil {
		t.Fatalf("%v", err)
	}
}

// resources returns the template's resources of type typ, by logical ID.
func resources(tmpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tmpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func props(res map[string]any) map[string]any {
	p, _ := res["Properties"].(map[string]any)
	return p
}

var assetHash = regexp.MustCompile(`[a-f0-9]{64}`)

// TestGolden compares every template of every environment with its golden
// file. go test . -update rewrites them.
func TestGolden(t *testing.T) {
	written := map[string]bool{}
	for _, env := range environments {
		s := synth(t, env)
		for _, name := range s.stackNames() {
			written[filepath.Join("testdata", "golden", env, name+".template.json")] = true
			t.Run(env+"/"+name, func(t *testing.T) {
				var tmpl any
				readJSON(t, filepath.Join(s.outdir, name+".template.json"), &tmpl)
				got, err := json.MarshalIndent(tmpl, "", "  ") // sorts keys
				if err != nil {
					t.Fatal(err)
				}
				got = append(assetHash.ReplaceAll(got, []byte("<asset-hash>")), '\n')
				golden := filepath.Join("testdata", "golden", env, name+".template.json")
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test . -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the synthesized template; review the change, then run go test . -update\n%s", golden, firstDiff(string(want), string(got)))
				}
			})
		}
	}
	stale, err := staleGolden(filepath.Join("testdata", "golden"), written)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range stale {
		if !*update {
			t.Errorf("%s is no stack's template (a renamed project or a removed stack): run go test . -update to delete it", path)
		} else if err := os.Remove(path); err != nil {
			t.Error(err)
		}
	}
}

// staleGolden returns the golden templates under dir that are not in
// current: those of a stack that no longer exists.
func staleGolden(dir string, current map[string]bool) ([]string, error) {
	var stale []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".template.json") && !current[path] {
			stale = append(stale, path)
		}
		return err
	})
	return stale, err
}

// TestNamesFollowTheProject renames the project as a team's copy of the
// repository does: the names the tests expect follow it, and the golden
// templates of the old names are found stale (go test . -update deletes
// them).
func TestNamesFollowTheProject(t *testing.T) {
	other := "shop"
	if project == other {
		other = "store"
	}
	context := cdkContext(t)
	set("defaults.project", other)(context)
	renamed, err := loadProject(context)
	if err != nil || renamed != other {
		t.Fatalf("project %q, %v; want %s", renamed, err, other)
	}
	saved := project
	project = renamed
	defer func() { project = saved }()
	cfg, err := stacks.LoadConfig(context)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := named("{project}-"+cfg.Env+"-compute"), cfg.StackName(stacks.ComputeLayer); got != want || want != other+"-"+cfg.Env+"-compute" {
		t.Errorf("the tests expect %s, the stack is %s", got, want)
	}

	dir := t.TempDir()
	old := filepath.Join(dir, "dev", saved+"-dev-compute.template.json")
	current := filepath.Join(dir, "dev", named("{project}-dev-compute.template.json"))
	for _, path := range []string{old, current} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stale, err := staleGolden(dir, map[string]bool{current: true})
	if err != nil || len(stale) != 1 || stale[0] != old {
		t.Errorf("stale golden files %v (%v), want %s", stale, err, old)
	}
}

// firstDiff shows the first differing line of two texts, with its neighbours.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		if i >= len(w) || i >= len(g) || w[i] != g[i] {
			lo, hi := max(0, i-3), i+3
			return fmt.Sprintf("line %d:\n--- golden\n%s\n+++ synthesized\n%s", i+1,
				strings.Join(w[lo:min(hi, len(w))], "\n"), strings.Join(g[lo:min(hi, len(g))], "\n"))
		}
	}
	return ""
}

// TestStacks checks names, protection, tags and that no template asks
// CloudFormation for availability zones.
func TestStacks(t *testing.T) {
	for _, env := range environments {
		s := synth(t, env)
		var manifest struct {
			Artifacts map[string]struct {
				Type       string `json:"type"`
				Properties struct {
					StackName             string `json:"stackName"`
					TerminationProtection bool   `json:"terminationProtection"`
				} `json:"properties"`
				Environment string `json:"environment"`
			} `json:"artifacts"`
		}
		readJSON(t, filepath.Join(s.outdir, "manifest.json"), &manifest)
		wantProtection := env == "production" || env == "staging"
		for _, name := range s.stackNames() {
			if !strings.HasPrefix(name, named("{project}-")+env+"-") {
				t.Errorf(named("stack %s is not named {project}-%s-<layer>"), name, env)
			}
			a, ok := manifest.Artifacts[name]
			if !ok {
				t.Fatalf("%s: no artifact %s in manifest.json", env, name)
			}
			if a.Properties.TerminationProtection != wantProtection {
				t.Errorf("%s: termination protection %v, want %v", name, a.Properties.TerminationProtection, wantProtection)
			}
			if want := "aws://" + s.cfg.Account + "/us-east-1"; a.Environment != want {
				t.Errorf("%s: environment %s, want %s", name, a.Environment, want)
			}
			raw, err := os.ReadFile(filepath.Join(s.outdir, name+".template.json"))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(raw, []byte("Fn::GetAZs")) {
				t.Errorf("%s uses Fn::GetAZs; zones must come from config", name)
			}
			if bytes.Contains(raw, []byte("Fn::ImportValue")) {
				t.Errorf("%s imports an export; cross-stack references must be weak (aws-cdk#7602)", name)
			}
		}
		// Weak references leave the deployment order to stack dependencies.
		if deps := s.stacks.Data.Stack.Dependencies(); len(*deps) != 1 || *(*deps)[0].StackName() != s.cfg.StackName(stacks.NetworkLayer) {
			t.Errorf("%s: the Data stack does not depend on the Network stack", env)
		}
		assert(t, s.template(t, stacks.NetworkLayer), func(tpl assertions.Template) {
			tpl.HasResourceProperties(jsii.String("AWS::EC2::VPC"), map[string]any{
				"Tags": assertions.Match_ArrayWith(&[]any{
					map[string]any{"Key": "Environment", "Value": env},
					map[string]any{"Key": "ManagedBy", "Value": "djangocdk"},
					map[string]any{"Key": "Project", "Value": named("{project}")},
				}),
			})
		})
	}
}

// TestAssemblyHasNoKernelTraces checks that the cloud assembly records
// neither the resources' creation stack traces nor the annotations': in a
// Go app they are jsii kernel frames under a temporary directory, which
// made every synthesis's metadata differ.
func TestAssemblyHasNoKernelTraces(t *testing.T) {
	s := synth(t, "dev")
	files, err := filepath.Glob(filepath.Join(s.outdir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no JSON files in %s (%v)", s.outdir, err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, trace := range []string{"jsii-kernel-", `"aws:cdk:creationStack"`} {
			if bytes.Contains(raw, []byte(trace)) {
				t.Errorf("%s records stack traces (%s)", filepath.Base(file), trace)
			}
		}
	}
}

// TestNag checks that cdk-nag's AwsSolutions pack ran on every stack and
// left no unsuppressed error.
func TestNag(t *testing.T) {
	all := []*synthesized{execVariant(t), noNat(t)} // ECS Exec, the github-only driver (githubVariant) and "no NAT" are off in the shipped environments
	for _, env := range environments {
		all = append(all, synth(t, env))
	}
	for _, s := range all {
		for _, name := range s.stackNames() {
			// cdk-nag names the report after the stack's path: "AwsSolutions-" +
			// parent path ("" for a top-level stack) + "-" + stack name.
			report := filepath.Join(s.outdir, "AwsSolutions--"+name+"-NagReport.csv")
			f, err := os.Open(report)
			if err != nil {
				t.Fatalf("no cdk-nag report for %s: %v", name, err)
			}
			rows, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", report, err)
			}
			if len(rows) < 2 {
				t.Errorf("%s: no rule was checked", report)
			}
			for _, row := range rows[1:] {
				// Rule ID, Resource ID, Compliance, Exception Reason, Rule Level, Rule Info
				if row[2] == "Non-Compliant" && row[4] == "Error" {
					t.Errorf("%s: %s on %s: %s", name, row[0], row[1], row[5])
				}
			}
		}
	}
}

// TestStatefulLogicalIDs pins the logical IDs of stateful resources: a
// renamed construct must fail here instead of replacing them in production.
func TestStatefulLogicalIDs(t *testing.T) {
	pinned := map[string]map[string]string{
		stacks.NetworkLayer: {
			"NetworkFlowLogs2BEC3212": "AWS::Logs::LogGroup",
		},
		stacks.DataLayer: {
			"DatabaseInstanceAA8A5FDE":       "AWS::RDS::DBInstance",
			"DatabaseCredentials24F58BE6":    "AWS::SecretsManager::Secret",
			"DatabaseLogspostgresqlBCF4F758": "AWS::Logs::LogGroup",
			"DatabaseLogsupgradeB93A532B":    "AWS::Logs::LogGroup",
			"CacheReplicationGroupBFE59FF3":  "AWS::ElastiCache::ReplicationGroup",
			"CacheAuthToken04672416":         "AWS::SecretsManager::Secret",
			"CacheUrl61419F6D":               "AWS::SecretsManager::Secret",
			"CacheSlowLog43E55961":           "AWS::Logs::LogGroup",
			"StorageMedia9333CB25":           "AWS::S3::Bucket",
			"StorageStatic176D1A00":          "AWS::S3::Bucket",
			"StorageAccessLogs96FB524C":      "AWS::S3::Bucket",
			"SettingsDjango74E76B29":         "AWS::SecretsManager::Secret",
			"SettingsThirdPartyD7B3C4D1":     "AWS::SecretsManager::Secret",
		},
		stacks.RegistryLayer: {
			"Django74C9E7E7":       "AWS::ECR::Repository",
			"ImageTagE38EC9D1":     "Custom::ImageTagParameter",
			"ImageTagLogs2E98620E": "AWS::Logs::LogGroup",
		},
		stacks.ComputeLayer: {
			"WebTaskLogsCD55373A":          "AWS::Logs::LogGroup",
			"WorkerceleryTaskLogs86F59884": "AWS::Logs::LogGroup",
			"BeatTaskLogs537F0679":         "AWS::Logs::LogGroup",
			"MigrationTaskLogsC11CB801":    "AWS::Logs::LogGroup",
			"StaticFilesTaskLogs1296E80E":  "AWS::Logs::LogGroup",
			"QueueMetricsLogs2A16AFF1":     "AWS::Logs::LogGroup",
		},
		stacks.OperationsLayer: {
			"AlarmKeyE05DE300": "AWS::KMS::Key",
		},
		stacks.FrontendLayer: {
			"AppwebBucket717043DA": "AWS::S3::Bucket",
			"Logs6819BB44":         "AWS::S3::Bucket",
		},
		stacks.PipelineLayer: {
			"Key961B73FD":                       "AWS::KMS::Key",
			"ReleaseArtifacts7E374565":          "AWS::S3::Bucket",
			"ReleaseBuildLogsBD68DF0E":          "AWS::Logs::LogGroup",
			"ReleaseReleaseProjectLogs1F3A8173": "AWS::Logs::LogGroup",
		},
	}
	check := func(s *synthesized, layer string, ids map[string]string) {
		all := s.template(t, layer)["Resources"].(map[string]any)
		for id, typ := range ids {
			res, ok := all[id].(map[string]any)
			if !ok {
				t.Errorf("%s: no resource %s (%s); a renamed construct would replace it", layer, id, typ)
				continue
			}
			if res["Type"] != typ {
				t.Errorf("%s: %s is a %v, want %s", layer, id, res["Type"], typ)
			}
		}
	}
	for layer, ids := range pinned {
		check(synth(t, "production"), layer, ids)
	}
	// ECS Exec's key and session logs, where it is on.
	check(execVariant(t), stacks.ComputeLayer, map[string]string{"ExecKey76C18399": "AWS::KMS::Key", "ExecLogs6390DA49": "AWS::Logs::LogGroup"})
}

// try runs f and turns a panic raised through jsii (a failed CDK
// assertion) into an error.
func try(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}

// TestNagChecksOnlyDjangocdkStacks synthesizes an environment beside a
// stack of the user's own holding a plain bucket, and with a plain bucket
// added to one of djangocdk's stacks: synthesis fails on cdk-nag's errors
// about the bucket in djangocdk's stack, and on nothing in the user's.
func TestNagChecksOnlyDjangocdkStacks(t *testing.T) {
	context := cdkContext(t)
	context[stacks.EnvKey] = "dev"
	cfg, err := stacks.LoadConfig(context)
	if err != nil {
		t.Fatal(err)
	}
	outdir := filepath.Join(outRoot, "user-stack")
	app := stacks.NewApp(&awscdk.AppProps{Context: &context, Outdir: jsii.String(outdir)})
	var built *stacks.Stacks
	if err := try(func() { built, err = stacks.New(app, cfg) }); err != nil || built == nil {
		t.Fatalf("building: %v %v", err, built)
	}
	user := awscdk.NewStack(app, jsii.String("UserStack"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(cfg.Region)},
	})
	awss3.NewBucket(user, jsii.String("Plain"), nil)
	awss3.NewBucket(built.Network.Stack, jsii.String("Plain"), nil)
	err = try(func() { app.Synth(nil) })
	if err == nil || !strings.Contains(err.Error(), "Validation failed") {
		t.Fatalf("synthesis with a plain bucket in %s: %v, want cdk-nag's errors", *built.Network.Stack.StackName(), err)
	}
	report, err := os.ReadFile(filepath.Join(outdir, "validation-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"AwsSolutions-S1", *built.Network.Stack.StackName() + "/Plain/Resource"} {
		if !bytes.Contains(report, []byte(want)) {
			t.Errorf("the validation report does not name %s", want)
		}
	}
	if bytes.Contains(report, []byte("UserStack")) {
		t.Errorf("cdk-nag reported on the user's own stack:\n%s", report)
	}
	if _, err := os.Stat(filepath.Join(outdir, "AwsSolutions--UserStack-NagReport.csv")); err == nil {
		t.Error("cdk-nag checked the user's own stack")
	}
}
