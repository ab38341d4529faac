package queuemetrics

import (
	"bytes"
	"fmt"
	"github.com/djangocdk/djangocdk/constructs/internal/templatetest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
)

// outdir is the cloud assembly directory of every test App here. The
// handler's asset is named by the hash of its inputs, and CDK skips the
// bundling when that asset is already staged in the outdir (and within a
// process, for the same outdir): the handler is built once per test binary.
var outdir string

func TestMain(m *testing.M) {
	var err error
	if outdir, err = os.MkdirTemp("", "queuemetrics-test"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(outdir)
	os.Exit(code)
}

// newStack returns a stack in an App of its own (an App whose tree changes
// after a synthesis refuses to synthesize again), all Apps sharing outdir.
func newStack(name string) awscdk.Stack {
	return awscdk.NewStack(awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)}), jsii.String(name), nil)
}

type fixture struct {
	stack   awscdk.Stack
	vpc     awsec2.Vpc
	cluster awsecs.Cluster
	props   *Props
}

func newFixture(name string) *fixture {
	stack := newStack(name)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(1)})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc, ClusterName: jsii.String("shop")})
	return &fixture{stack: stack, vpc: vpc, cluster: cluster, props: &Props{
		Vpc:           vpc,
		Subnets:       &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
		SecurityGroup: awsec2.NewSecurityGroup(stack, jsii.String("Group"), &awsec2.SecurityGroupProps{Vpc: vpc}),
		BrokerHost:    jsii.String("cache.example.internal"),
		BrokerPort:    6379,
		BrokerSecret:  awssecretsmanager.NewSecret(stack, jsii.String("Token"), nil),
		Cluster:       cluster,
	}}
}

func (f *fixture) service(id string) awsecs.FargateService {
	task := awsecs.NewFargateTaskDefinition(f.stack, jsii.String(id+"Task"), nil)
	task.AddContainer(jsii.String("worker"), &awsecs.ContainerDefinitionOptions{Image: awsecs.ContainerImage_FromRegistry(jsii.String("shop:1"), nil)})
	return awsecs.NewFargateService(f.stack, jsii.String(id), &awsecs.FargateServiceProps{Cluster: f.cluster, TaskDefinition: task})
}

func (f *fixture) newQueueMetrics(t *testing.T) *QueueMetrics {
	t.Helper()
	q, err := New(f.stack, "QueueMetrics", f.props)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// writtenHandler returns the hash of the handler's source and the
// directory handlerDir writes it to.
func writtenHandler(t *testing.T) (hash, dir string) {
	t.Helper()
	hash, err := sourceHash()
	if err != nil {
		t.Fatal(err)
	}
	if dir, err = handlerDir(hash); err != nil {
		t.Fatal(err)
	}
	return hash, dir
}

// The handler's build directory holds its embedded source as a module of
// its own: its Go files without the tests, go.mod and go.sum.
func TestHandlerDirHoldsTheHandler(t *testing.T) {
	hash, dir := writtenHandler(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "collect.go go.mod go.sum main.go" {
		t.Errorf("build directory holds %s", got)
	}
	if again, err := handlerDir(hash); err != nil || again != dir {
		t.Errorf("handlerDir again: %s, %v; want %s", again, err, dir)
	}
}

// The handler's go.mod requires each module at the version djangocdk's
// go.mod requires, and its go.sum holds only checksums djangocdk's go.sum
// has: upgrading a dependency of the module upgrades the handler's, and its
// build needs no download beyond the module's own.
func TestHandlerModuleFollowsTheRootModule(t *testing.T) {
	root := map[string]string{}
	for _, line := range lines(t, "../../go.mod") {
		if f := strings.Fields(line); len(f) >= 2 && strings.HasPrefix(f[1], "v") && strings.Contains(f[0], ".") {
			root[f[0]] = f[1]
		}
	}
	required := 0
	for _, line := range lines(t, "handler/go.mod.txt") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[1], "v") || !strings.Contains(f[0], ".") {
			continue
		}
		required++
		if root[f[0]] != f[1] {
			t.Errorf("handler/go.mod.txt requires %s %s, go.mod requires %q: copy the root's version", f[0], f[1], root[f[0]])
		}
	}
	if required < 7 {
		t.Errorf("handler/go.mod.txt requires %d modules, want the handler's 7 direct ones and theirs", required)
	}
	sums := map[string]bool{}
	for _, line := range lines(t, "../../go.sum") {
		sums[line] = true
	}
	for _, line := range lines(t, "handler/go.sum.txt") {
		if !sums[line] {
			t.Errorf("handler/go.sum.txt has %q, which go.sum lacks", line)
		}
	}
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(body)), "\n")
}

func TestNewRejectsMissingProps(t *testing.T) {
	if _, err := New(nil, "QueueMetrics", &Props{}); err == nil || !strings.HasPrefix(err.Error(), "QueueMetrics: queuemetrics.Props.Vpc: required") {
		t.Errorf("error %v", err)
	}
}

// Every problem at once, each line under the construct's path, and
// nothing created.
func TestNewReportsEveryProblemUnderTheConstructPath(t *testing.T) {
	stack := newStack("Invalid")
	_, err := New(stack, "QueueMetrics", &Props{BrokerPort: 70000})
	want := []string{"Vpc: required", "Subnets: required", "SecurityGroup: required", "BrokerHost: required",
		"BrokerPort: 70000 is not a port", "BrokerSecret: required", "Cluster: required"}
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for i, problem := range want {
		if line := "Invalid/QueueMetrics: queuemetrics.Props." + problem; lines[i] != line {
			t.Errorf("problem %d: %q, want %q", i, lines[i], line)
		}
	}
	if n := len(*stack.Node().Children()); n != 0 {
		t.Errorf("%d constructs created before the validation failed", n)
	}
}

func TestSourceHashIsStable(t *testing.T) {
	a, errA := sourceHash()
	b, errB := sourceHash()
	if a != b || len(a) != 64 || errA != nil || errB != nil {
		t.Errorf("sourceHash %q then %q", a, b)
	}
}

// The function: the handler built for arm64 on provided.al2023, in the VPC,
// with the broker's address and the cluster; run every minute; its own
// role, log group (a month, kept) and the one PutMetricData namespace.
func TestFunction(t *testing.T) {
	f := newFixture("Function")
	f.newQueueMetrics(t)
	templatetest.Assert(t, f.stack, func(tmpl assertions.Template) {
		tmpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(1))
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
			"MemorySize": 128, "Timeout": 30,
			"VpcConfig": assertions.Match_ObjectLike(&map[string]any{
				"SubnetIds": assertions.Match_ArrayWith(&[]any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^VpcPrivateSubnet"))}}),
			}),
			"Environment": map[string]any{"Variables": map[string]any{
				"REDIS_HOST": "cache.example.internal", "REDIS_PORT": "6379",
				"REDIS_SECRET_ARN": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Token"))},
				"CLUSTER":          map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Cluster"))},
				"METRIC_NAMESPACE": "Celery",
			}},
			"LoggingConfig": assertions.Match_ObjectLike(&map[string]any{"LogGroup": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^QueueMetricsLogs"))}}),
		})
		tmpl.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{
			"DeletionPolicy": "Retain", "Properties": map[string]any{"RetentionInDays": 30},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": "rate(1 minute)",
			"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
				"Arn": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^QueueMetricsFunction")), "Arn"}},
			})},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), map[string]any{
			"AssumeRolePolicyDocument": assertions.Match_ObjectLike(&map[string]any{"Statement": []any{assertions.Match_ObjectLike(&map[string]any{
				"Principal": map[string]any{"Service": "lambda.amazonaws.com"},
			})}}),
			"ManagedPolicyArns": assertions.Match_Absent(),
		})
		tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
				"Action": "cloudwatch:PutMetricData", "Effect": "Allow", "Resource": "*",
				"Condition": map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": "Celery"}},
			}})},
		})
	})
	// The asset holds the bootstrap executable.
	if _, err := os.Stat(filepath.Join(assetDir(t, f.stack), "bootstrap")); err != nil {
		t.Errorf("the handler was not built into the assembly: %v", err)
	}
}

// assetDir is the staged directory of the function's code in outdir.
func assetDir(t *testing.T, stack awscdk.Stack) string {
	t.Helper()
	var key string
	templatetest.Assert(t, stack, func(tmpl assertions.Template) {
		for _, function := range *tmpl.FindResources(jsii.String("AWS::Lambda::Function"), nil) {
			key = (*function)["Properties"].(map[string]any)["Code"].(map[string]any)["S3Key"].(string)
		}
	})
	return filepath.Join(outdir, "asset."+strings.TrimSuffix(key, ".zip"))
}

// The asset is named by the hash of the handler's inputs: another
// synthesis with unchanged inputs stages the same asset, without building
// the handler again.
func TestHandlerIsNotRebuilt(t *testing.T) {
	first := newFixture("First")
	first.newQueueMetrics(t)
	dir := assetDir(t, first.stack)
	before, err := os.Stat(filepath.Join(dir, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	second := newFixture("Second")
	second.newQueueMetrics(t)
	if again := assetDir(t, second.stack); again != dir {
		t.Errorf("asset %s, then %s", dir, again)
	}
	after, err := os.Stat(filepath.Join(dir, "bootstrap"))
	if err != nil || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the handler was built again (%v)", err)
	}
}

// Each queue: its entry in QUEUES (sorted by name), and the right to
// describe its service.
func TestAddQueue(t *testing.T) {
	f := newFixture("Queues")
	q := f.newQueueMetrics(t)
	q.AddQueue("emails", f.service("Emails"))
	q.AddQueue("celery", f.service("Celery"))
	templatetest.Assert(t, f.stack, func(tmpl assertions.Template) {
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
				"QUEUES": map[string]any{"Fn::Join": []any{"", []any{
					`[{"queue":"celery","service":"`, map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^CeleryService")), "Name"}},
					`"},{"queue":"emails","service":"`, map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^EmailsService")), "Name"}},
					`"}]`,
				}}},
			})},
		})
		for _, service := range []string{"^CeleryService", "^EmailsService"} {
			tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
				"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
					"Action": "ecs:DescribeServices", "Effect": "Allow",
					"Resource": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String(service))},
				}})},
			})
		}
	})
}

// The metrics a worker service scales on and alarms use: one-minute
// averages in the namespace, by cluster and queue.
func TestMetrics(t *testing.T) {
	f := newFixture("Metrics")
	f.props.Namespace = "Shop/Celery"
	f.props.LogRetention = awslogs.RetentionDays_ONE_WEEK
	q := f.newQueueMetrics(t)
	for name, metric := range map[string]interface {
		MetricName() *string
		Namespace() *string
		Statistic() *string
		Period() awscdk.Duration
		Dimensions() *map[string]any
	}{
		BacklogPerTaskMetric: q.BacklogPerTask("celery"), QueueDepthMetric: q.QueueDepth("celery"), OldestAgeMetric: q.OldestMessageAge("celery"),
		RunningTasksMetric: q.RunningTasks("celery"),
	} {
		dims := *metric.Dimensions()
		if *metric.MetricName() != name || *metric.Namespace() != "Shop/Celery" || *metric.Statistic() != "Average" ||
			*metric.Period().ToSeconds(nil) != 60 || dims["Queue"] != "celery" || dims["Cluster"] == nil {
			t.Errorf("%s: %s %s %s %v", name, *metric.MetricName(), *metric.Namespace(), *metric.Statistic(), dims)
		}
	}
	if got := *q.ClusterMetric(QueueDepthMetric, "celery", jsii.String("other")).Dimensions(); got["Cluster"] != "other" {
		t.Errorf("ClusterMetric dimensions %v", got)
	}
	templatetest.Assert(t, f.stack, func(tmpl assertions.Template) {
		tmpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 7})
		tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Condition": map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": "Shop/Celery"}},
			})})},
		})
	})
}

// QueueMetrics is a construct: the function is its child, tags apply to
// what it holds, and the logical ids are those of a plain construct.
func TestIsAConstruct(t *testing.T) {
	f := newFixture("Construct")
	q := f.newQueueMetrics(t)
	awscdk.Tags_Of(q).Add(jsii.String("part"), jsii.String("metrics"), nil)
	if got := *q.Function().Node().Scope().Node().Path(); got != "Construct/QueueMetrics" {
		t.Errorf("the function is under %s", got)
	}
	if id := *f.stack.GetLogicalId(q.Function().Node().DefaultChild().(awscdk.CfnElement)); !strings.HasPrefix(id, "QueueMetricsFunction") {
		t.Errorf("function logical id %s", id)
	}
	templatetest.Assert(t, f.stack, func(tmpl assertions.Template) {
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Tags": []any{map[string]any{"Key": "part", "Value": "metrics"}},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::ECS::Cluster"), map[string]any{"Tags": assertions.Match_Absent()})
	})
}

// A synthesis into a fresh cloud assembly copies the handler from the
// user's cache when a build of the same inputs is there: the second
// bundling below succeeds with no Go toolchain on PATH.
func TestHandlerBuildIsCached(t *testing.T) {
	if os.Getenv("GOCACHE") == "" {
		// Keep Go's own build cache where it is: a cold one costs minutes.
		if dir, err := os.UserCacheDir(); err == nil {
			t.Setenv("GOCACHE", filepath.Join(dir, "go-build"))
		}
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	hash, dir := writtenHandler(t)
	cache := buildCache(hash)
	if !strings.HasPrefix(cache, os.Getenv("XDG_CACHE_HOME")) {
		t.Fatalf("cache %q is not under XDG_CACHE_HOME", cache)
	}
	first, second := t.TempDir(), t.TempDir()
	if !*(&goBuild{dir: dir, cache: cache}).TryBundle(&first, nil) {
		t.Fatal("building the handler failed")
	}
	t.Setenv("PATH", "")
	if !*(&goBuild{dir: dir, cache: cache}).TryBundle(&second, nil) {
		t.Fatal("bundling without a toolchain failed: the cached build was not used")
	}
	built, err := os.ReadFile(filepath.Join(first, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	copied, err := os.ReadFile(filepath.Join(second, "bootstrap"))
	if err != nil || !bytes.Equal(built, copied) {
		t.Fatalf("the cached handler differs from the build (%v)", err)
	}
	if info, err := os.Stat(filepath.Join(second, "bootstrap")); err != nil || info.Mode().Perm()&0o100 == 0 {
		t.Errorf("the copied handler is not executable (%v)", err)
	}
}
