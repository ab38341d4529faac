package celeryworker

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
	tt "github.com/djangocdk/djangocdk/constructs/internal/templatetest"
)

type placeholderCluster struct{ awsecs.ICluster }
type placeholderMetric struct{ awscloudwatch.IMetric }

// placeholderImage satisfies awsecs.ContainerImage; validation never calls it.
type placeholderImage struct{ awsecs.ContainerImage }

func TestPropsDefaults(t *testing.T) {
	p := (&Props{Cluster: placeholderCluster{}, Queue: "emails", Concurrency: 8, BacklogPerTask: placeholderMetric{}}).withDefaults()
	if got := strings.Join(p.Task.Command, " "); got != "celery -A config.celery_app worker --loglevel=INFO --queues=emails --concurrency=8 --hostname=emails@%h" {
		t.Errorf("command %s", got)
	}
	if p.Task.StopTimeoutSeconds != 120 || p.TargetBacklogPerTask != 16 || p.MinTasks != 1 || p.MaxTasks != 4 {
		t.Errorf("defaults %+v", p)
	}
}

func TestNewRejectsInvalidProps(t *testing.T) {
	base := Props{Cluster: placeholderCluster{}, Queue: "celery", BacklogPerTask: placeholderMetric{}, Task: apptask.Props{Image: placeholderImage{}}}
	cases := map[string]struct {
		edit func(*Props)
		want string
	}{
		"queue":     {func(p *Props) { p.Queue = "bad queue" }, `Worker: celeryworker.Props.Queue: "bad queue" is not a queue name`},
		"no metric": {func(p *Props) { p.BacklogPerTask = nil }, "Worker: celeryworker.Props.BacklogPerTask: required"},
		"bounds":    {func(p *Props) { p.MinTasks, p.MaxTasks = 3, 2 }, "Worker: celeryworker.Props.MaxTasks: 2 is outside MinTasks (3) to 1000"},
		"cluster":   {func(p *Props) { p.Cluster = nil }, "Worker: celeryworker.Props.Cluster: required"},
		"task":      {func(p *Props) { p.Task.StopTimeoutSeconds = 600 }, "Worker: celeryworker.Props.Task.StopTimeoutSeconds: 600 is outside 1 to 120"},
	}
	for name, c := range cases {
		p := base
		c.edit(&p)
		if _, err := New(nil, "Worker", &p); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %s...", name, err, c.want)
		}
	}
	// Every problem at once.
	_, err := New(nil, "Worker", &Props{Queue: "a b", Concurrency: -1})
	want := strings.Join([]string{
		"Worker: celeryworker.Props.Cluster: required",
		"Worker: celeryworker.Props.BacklogPerTask: required (the metric the workers scale on)",
		"Worker: celeryworker.Props.Task.Image: required",
		`Worker: celeryworker.Props.Queue: "a b" is not a queue name (letters, digits, _ . -; up to 63)`,
		"Worker: celeryworker.Props.Concurrency: -1 is outside 1 to 256 (tasks at once per worker task)",
		"Worker: celeryworker.Props.TargetBacklogPerTask: -2 is outside 1 to 100000 (0 means twice the concurrency)",
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

// Validate reports the value fields, each as a field of Props, and leaves
// the wiring (Cluster, BacklogPerTask, Task.Image) to New.
func TestValidate(t *testing.T) {
	cases := map[string]struct {
		props Props
		field string
		want  string
	}{
		"concurrency": {Props{Queue: "celery", Concurrency: 300}, "Concurrency", "celeryworker.Props.Concurrency: 300 is outside 1 to 256 (tasks at once per worker task)"},
		"min tasks":   {Props{Queue: "celery", MinTasks: -1, MaxTasks: 2}, "MinTasks", "celeryworker.Props.MinTasks: -1 is outside 1 to 1000 (at least 1: target tracking cannot scale out from zero)"},
		"max tasks":   {Props{Queue: "celery", MinTasks: 3, MaxTasks: 2}, "MaxTasks", "celeryworker.Props.MaxTasks: 2 is outside MinTasks (3) to 1000"},
		"cpu target":  {Props{Queue: "celery", CpuTargetPercent: 99}, "CpuTargetPercent", "celeryworker.Props.CpuTargetPercent: 99 is outside 10 to 90 (percent)"},
		"queue":       {Props{Queue: ""}, "Queue", `celeryworker.Props.Queue: "" is not a queue name (letters, digits, _ . -; up to 63)`},
		"task":        {Props{Queue: "celery", Task: apptask.Props{StopTimeoutSeconds: 200}}, "Task.StopTimeoutSeconds", "celeryworker.Props.Task.StopTimeoutSeconds: 200 is outside 1 to 120 (Fargate's limit)"},
	}
	for name, c := range cases {
		err := c.props.Validate()
		fields := propserr.Fields(err)
		if err == nil || err.Error() != c.want || len(fields) != 1 || fields[0].Field != c.field {
			t.Errorf("%s: Validate = %v, want %q on %s", name, err, c.want, c.field)
		}
	}
	if err := (&Props{Queue: "celery"}).Validate(); err != nil {
		t.Errorf("the defaults: %v", err)
	}
}

// newWorker synthesizes a worker in a cluster with Fargate capacity providers.
func newWorker(t *testing.T, edit func(*Props)) *tt.Template {
	t.Helper()
	stack := tt.Stack(t)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(1)})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc, EnableFargateCapacityProviders: jsii.Bool(true)})
	props := Props{
		Cluster: cluster,
		Queue:   "emails",
		Task:    apptask.Props{Image: awsecs.ContainerImage_FromRegistry(jsii.String("example/shop:1"), nil)},
		BacklogPerTask: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("Celery"), MetricName: jsii.String("BacklogPerTask"),
		}),
	}
	if edit != nil {
		edit(&props)
	}
	worker, err := New(stack, "Worker", &props)
	if err != nil {
		t.Fatal(err)
	}
	awscdk.Tags_Of(worker).Add(jsii.String("queue"), jsii.String("emails"), nil)
	return tt.FromStack(t, stack)
}

func TestDefaults(t *testing.T) {
	template := newWorker(t, nil)
	associations := template.Resources("AWS::ECS::ClusterCapacityProviderAssociations")
	if len(associations) != 1 {
		t.Fatalf("associations %v", associations)
	}
	var association string
	for id := range associations {
		association = id
	}
	template.HasResource("AWS::ECS::Service", map[string]any{
		"Properties": map[string]any{
			"CapacityProviderStrategy": []any{map[string]any{"CapacityProvider": "FARGATE", "Weight": 1}},
			"DeploymentConfiguration": map[string]any{
				"MinimumHealthyPercent":    100,
				"MaximumPercent":           200,
				"DeploymentCircuitBreaker": map[string]any{"Enable": true, "Rollback": true},
			},
			"Tags": []any{map[string]any{"Key": "queue", "Value": "emails"}},
		},
		// containers-roadmap#631: the service waits for the association.
		"DependsOn": tt.ArrayWith(association),
	})
	template.HasResourceProperties("AWS::ECS::TaskDefinition", map[string]any{
		"ContainerDefinitions": []any{tt.Like(map[string]any{
			"Command":     []any{"celery", "-A", "config.celery_app", "worker", "--loglevel=INFO", "--queues=emails", "--concurrency=4", "--hostname=emails@%h"},
			"StopTimeout": 120,
		})},
	})
	template.HasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", map[string]any{"MinCapacity": 1, "MaxCapacity": 4})
	template.HasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", map[string]any{
		"TargetTrackingScalingPolicyConfiguration": tt.Like(map[string]any{
			"TargetValue":                   8, // 2 x Concurrency
			"CustomizedMetricSpecification": tt.Like(map[string]any{"MetricName": "BacklogPerTask", "Namespace": "Celery"}),
		}),
	})
	template.HasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", map[string]any{
		"TargetTrackingScalingPolicyConfiguration": tt.Like(map[string]any{
			"TargetValue":                   70,
			"PredefinedMetricSpecification": map[string]any{"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
		}),
	})
}

func TestSpot(t *testing.T) {
	template := newWorker(t, func(p *Props) { p.Spot = true; p.MaxTasks = 10 })
	template.HasResourceProperties("AWS::ECS::Service", map[string]any{
		"CapacityProviderStrategy": []any{map[string]any{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}},
		"LaunchType":               tt.Absent(),
	})
	template.HasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", map[string]any{"MaxCapacity": 10})
}
