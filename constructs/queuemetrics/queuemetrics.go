// Package queuemetrics publishes the depth of Celery queues on Redis or
// Valkey to CloudWatch, each queue's backlog per running worker task (the
// metric a worker service scales on) and the age of its oldest message. The broker has no CloudWatch metric
// of its own, so a small Go Lambda function (in ./handler, using go-redis)
// reads the queue lengths every minute.
package queuemetrics

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DefaultNamespace is the metrics' namespace unless Props.Namespace says otherwise.
const DefaultNamespace = "Celery"

// Metric names, as the handler publishes them with dimensions Cluster and Queue.
const (
	QueueDepthMetric     = "QueueDepth"
	BacklogPerTaskMetric = "BacklogPerTask"
	OldestAgeMetric      = "OldestMessageAge"
	RunningTasksMetric   = "RunningTasks"
)

// Props configures QueueMetrics.
type Props struct {
	// Vpc the function runs in, to reach the broker. Required.
	Vpc awsec2.IVpc
	// Subnets for the function: they need a route to the CloudWatch, ECS
	// and Secrets Manager APIs. Required.
	Subnets *awsec2.SubnetSelection
	// SecurityGroup of the function; the broker must accept it. Required.
	SecurityGroup awsec2.ISecurityGroup
	// BrokerHost and BrokerPort locate the Redis or Valkey primary. Required.
	BrokerHost *string
	BrokerPort int
	// BrokerSecret holds the AUTH token in its "password" field. Required.
	BrokerSecret awssecretsmanager.ISecret
	// Cluster runs the worker services. Required.
	Cluster awsecs.ICluster
	// Namespace of the metrics. Default: DefaultNamespace ("Celery").
	Namespace string
	// LogRetention of the function's logs. Default: awslogs.RetentionDays_ONE_MONTH.
	LogRetention awslogs.RetentionDays
	// RemovalPolicy of the function's log group. Default: awscdk.RemovalPolicy_RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
}

// QueueMetrics is the scheduled function and the metrics it publishes, a
// construct of its own: tag it, depend on it, or scope a cdk-nag
// suppression to it.
type QueueMetrics struct {
	constructs.Construct
	function awslambda.Function
	role     awsiam.Role
	props    Props
	queues   map[string]awsecs.IBaseService
}

// New creates the function under scope; AddQueue names what it measures.
// Before creating anything, it returns an error that starts with the
// construct's path and names every invalid field of props.
func New(scope constructs.Construct, id string, props *Props) (*QueueMetrics, error) {
	p, err := props.withDefaults()
	if err != nil {
		return nil, propserr.Prefix(scope, id, err)
	}
	code, err := goCode()
	if err != nil {
		return nil, propserr.Prefix(scope, id, err)
	}
	q := &QueueMetrics{props: p, queues: map[string]awsecs.IBaseService{}}
	constructs.NewConstruct_Override(q, scope, jsii.String(id))
	construct := q
	logGroup := awslogs.NewLogGroup(construct, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     p.LogRetention,
		RemovalPolicy: p.RemovalPolicy,
	})
	// A role of its own instead of the managed Lambda policies: logs to its
	// own group only, and the few API calls the handler makes.
	role := awsiam.NewRole(construct, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Publishes Celery queue metrics"),
	})
	logGroup.GrantWrite(role)
	p.BrokerSecret.GrantRead(role, nil)
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings("cloudwatch:PutMetricData"),
		Resources:  jsii.Strings("*"), // PutMetricData has no resource-level permissions
		Conditions: &map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": p.Namespace}},
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		// Lambda creates the network interfaces of a function in a VPC;
		// these actions take no resource-level permissions.
		Actions:   jsii.Strings("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"),
		Resources: jsii.Strings("*"),
	}))

	function := awslambda.NewFunction(construct, jsii.String("Function"), &awslambda.FunctionProps{
		Description:    jsii.String("Publishes the depth of each Celery queue and its backlog per worker task"),
		Runtime:        awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:   awslambda.Architecture_ARM_64(),
		Handler:        jsii.String("bootstrap"),
		Code:           code,
		MemorySize:     jsii.Number(128),
		Timeout:        awscdk.Duration_Seconds(jsii.Number(30)),
		Vpc:            p.Vpc,
		VpcSubnets:     p.Subnets,
		SecurityGroups: &[]awsec2.ISecurityGroup{p.SecurityGroup},
		Role:           role,
		LogGroup:       logGroup,
		Environment: &map[string]*string{
			"REDIS_HOST":       p.BrokerHost,
			"REDIS_PORT":       jsii.String(fmt.Sprint(p.BrokerPort)),
			"REDIS_SECRET_ARN": p.BrokerSecret.SecretArn(),
			"CLUSTER":          p.Cluster.ClusterName(),
			"METRIC_NAMESPACE": jsii.String(p.Namespace),
		},
	})
	awsevents.NewRule(construct, jsii.String("EveryMinute"), &awsevents.RuleProps{
		Description: jsii.String("Measures the Celery queues every minute"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1))),
		Targets:     &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(function, nil)},
	})
	q.function, q.role = function, role
	return q, nil
}

// AddQueue measures queue, consumed by the tasks of service.
func (q *QueueMetrics) AddQueue(queue string, service awsecs.IBaseService) {
	q.queues[queue] = service
	names := make([]string, 0, len(q.queues))
	for name := range q.queues {
		names = append(names, name)
	}
	sort.Strings(names)
	entries := make([]map[string]any, len(names))
	for i, name := range names {
		entries[i] = map[string]any{"queue": name, "service": q.queues[name].ServiceName()}
	}
	// The handler reads QUEUES as [{"queue": ..., "service": ...}].
	q.function.AddEnvironment(jsii.String("QUEUES"), awscdk.Stack_Of(q).ToJsonString(entries, nil), nil)
	q.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ecs:DescribeServices"),
		Resources: jsii.Strings(*service.ServiceArn()),
	}))
}

// RunningTasks is the running tasks of queue's service, as the function
// saw them each minute: zero tells a service scaled to zero to wake up.
func (q *QueueMetrics) RunningTasks(queue string) awscloudwatch.Metric {
	return q.metric(RunningTasksMetric, queue)
}

// BacklogPerTask is queue's depth divided by its running tasks, averaged
// over a minute: the metric to scale the queue's workers on.
func (q *QueueMetrics) BacklogPerTask(queue string) awscloudwatch.Metric {
	return q.metric(BacklogPerTaskMetric, queue)
}

// QueueDepth is the number of messages waiting in queue.
func (q *QueueMetrics) QueueDepth(queue string) awscloudwatch.Metric {
	return q.metric(QueueDepthMetric, queue)
}

// OldestMessageAge is how long, in seconds, the oldest message of queue
// has waited, as the function has observed it (to a minute).
func (q *QueueMetrics) OldestMessageAge(queue string) awscloudwatch.Metric {
	return q.metric(OldestAgeMetric, queue)
}

func (q *QueueMetrics) metric(name, queue string) awscloudwatch.Metric {
	return q.ClusterMetric(name, queue, q.props.Cluster.ClusterName())
}

// ClusterMetric is metric name (QueueDepthMetric, OldestAgeMetric) of
// queue with the cluster given by its name: in another stack, a name read
// there rather than a reference to this one.
func (q *QueueMetrics) ClusterMetric(name, queue string, clusterName *string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:  jsii.String(q.props.Namespace),
		MetricName: jsii.String(name),
		DimensionsMap: &map[string]*string{
			"Cluster": clusterName,
			"Queue":   jsii.String(queue),
		},
		Statistic: jsii.String("Average"),
		Period:    awscdk.Duration_Minutes(jsii.Number(1)),
	})
}

// Function returns the Lambda function.
func (q *QueueMetrics) Function() awslambda.IFunction { return q.function }

// Role returns the function's role.
func (q *QueueMetrics) Role() awsiam.IRole { return q.role }

// handlerSource is the handler's source with the go.mod and go.sum of a
// module of its own (handler/go.mod.txt and handler/go.sum.txt, named so
// that the directory stays a package of this module). Embedded, it reaches
// the build whether djangocdk comes from a checkout, the module cache or a
// vendor directory, and whatever -trimpath did to the paths of this file.
//
//go:embed handler/*.go handler/go.mod.txt handler/go.sum.txt
var handlerSource embed.FS

// handlerFiles are the files the handler is built from, by the name they
// get in its build directory, in a stable order: the handler's Go files
// (not its tests), go.mod and go.sum.
func handlerFiles() ([]string, map[string][]byte, error) {
	entries, err := handlerSource.ReadDir("handler")
	if err != nil {
		return nil, nil, err
	}
	var names []string
	files := map[string][]byte{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		body, err := handlerSource.ReadFile("handler/" + name)
		if err != nil {
			return nil, nil, err
		}
		name = strings.TrimSuffix(name, ".txt")
		names = append(names, name)
		files[name] = body
	}
	sort.Strings(names)
	return names, files, nil
}

// sourceHash hashes the files the handler is built from.
func sourceHash() (string, error) {
	names, files, err := handlerFiles()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, name := range names {
		fmt.Fprintf(h, "%s %d\n", name, len(files[name]))
		h.Write(files[name])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// handlerDir writes the handler's source into a directory named by hash
// under the user's cache directory (the system's temporary directory when
// there is none) and returns it. A directory already written is reused.
func handlerDir(hash string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	base = filepath.Join(base, "djangocdk")
	dir := filepath.Join(base, "queuemetrics-handler-"+hash[:16])
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	// Written aside, then renamed: a concurrent synthesis never sees a
	// half-written directory.
	tmp, err := os.MkdirTemp(base, "queuemetrics-handler-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	names, files, err := handlerFiles()
	if err != nil {
		return "", err
	}
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(tmp, name), files[name], 0o644); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "go.mod")); statErr != nil {
			return "", err
		}
	}
	return dir, nil
}

// goCode builds the handler for linux/arm64 with the local Go toolchain,
// from its embedded source written out by handlerDir. The asset is named
// by a hash of that source (the handler's Go files, its go.mod and
// go.sum), so a synthesis into a cloud assembly that already holds the
// build skips it, and a synthesis into a fresh one (CI, tests, -o
// elsewhere) copies the build of the same source from the user's cache.
func goCode() (awslambda.Code, error) {
	hash, err := sourceHash()
	if err != nil {
		return nil, fmt.Errorf("queuemetrics: reading the embedded handler source: %w", err)
	}
	dir, err := handlerDir(hash)
	if err != nil {
		return nil, fmt.Errorf("queuemetrics: writing the handler source to build it: %w", err)
	}
	return awslambda.Code_FromAsset(jsii.String(dir), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_CUSTOM,
		AssetHash:     jsii.String(hash),
		Bundling: &awscdk.BundlingOptions{
			// Used only when the local build fails; Go's official image.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("golang:1.26")),
			Local: &goBuild{dir: dir, cache: buildCache(hash)},
		},
	}), nil
}

// buildArgs are the arguments of the handler's build, after "go", and
// buildEnv its target and module mode: both are part of the build cache's
// key.
var (
	buildArgs = []string{"build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags=-s -w"}
	// The handler's go.mod and go.sum name every module it needs; a
	// -mod=vendor of the app's build does not apply to it.
	buildEnv = []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOFLAGS=-mod=readonly"}
)

// buildCache is the file that holds the handler built from the source
// with hash, in the user's cache directory, or "" when there is none.
func buildCache(hash string) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	key := sha256.Sum256([]byte(hash + "\x00" + strings.Join(buildArgs, " ") + "\x00" + strings.Join(buildEnv, " ")))
	return filepath.Join(dir, "djangocdk", "queuemetrics-build-"+hex.EncodeToString(key[:8]), "bootstrap")
}

// goBuild is the local bundler of the handler.
type goBuild struct {
	dir   string // the handler's source, written out
	cache string // where a build of the same source is kept; "" for none
}

// TryBundle implements awscdk.ILocalBundling: it copies the cached build
// when there is one, else builds the handler and caches the result.
func (b *goBuild) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	out := filepath.Join(*outputDir, "bootstrap")
	if b.cache != "" && copyFile(b.cache, out) == nil {
		return jsii.Bool(true)
	}
	cmd := exec.Command("go", append(append([]string{}, buildArgs...), "-o", out, ".")...)
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), buildEnv...)
	if output, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "queuemetrics: building the Lambda handler with the local Go toolchain failed: %v\n%s", err, output)
		return jsii.Bool(false)
	}
	if b.cache != "" {
		// A cache that cannot be written costs the next synthesis a build, nothing else.
		if err := os.MkdirAll(filepath.Dir(b.cache), 0o755); err == nil {
			_ = copyFile(out, b.cache)
		}
	}
	return jsii.Bool(true)
}

// copyFile copies the executable src to dst through a temporary file
// renamed into place, so that a reader never sees half a file.
func copyFile(src, dst string) error {
	body, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".bootstrap-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

func (props *Props) withDefaults() (Props, error) {
	var p Props
	if props != nil {
		p = *props
	}
	if p.Namespace == "" {
		p.Namespace = DefaultNamespace
	}
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_ONE_MONTH
	}
	if p.RemovalPolicy == "" {
		p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	var problems []error
	required := func(field string, missing bool) {
		if missing {
			problems = append(problems, fmt.Errorf("queuemetrics.Props.%s: required", field))
		}
	}
	required("Vpc", p.Vpc == nil)
	required("Subnets", p.Subnets == nil)
	required("SecurityGroup", p.SecurityGroup == nil)
	required("BrokerHost", p.BrokerHost == nil)
	if p.BrokerPort < 1 || p.BrokerPort > 65535 {
		problems = append(problems, fmt.Errorf("queuemetrics.Props.BrokerPort: %d is not a port", p.BrokerPort))
	}
	required("BrokerSecret", p.BrokerSecret == nil)
	required("Cluster", p.Cluster == nil)
	if len(problems) > 0 {
		return p, errors.Join(problems...)
	}
	return p, nil
}
