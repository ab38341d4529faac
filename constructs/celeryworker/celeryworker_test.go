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
		"min tasks":   {Props{Queue: "celery", MinTasks: -1, MaxTasks: 2}, "MinTasks", "celeryworker.Props.MinTasks: -1 is outside 0 to 1000 (0 scales to zero while the queue is empty, with ScaleToZero)"},
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
	association := template.ID("AWS::ECS::ClusterCapacityProviderAssociations")
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

// A queue that scales to zero: the floor is 0; a step policy sets exactly
// one task when messages wait and none runs (alarm on the math expression,
// one minute); another sets exactly zero after IdleMinutes of an empty
// queue; target tracking stays for the rest. Tasks in public subnets get a
// public IP when asked.
func TestScaleToZero(t *testing.T) {
	metric := func(name string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("Celery"), MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{"Queue": jsii.String("emails")}})
	}
	template := newWorker(t, func(p *Props) {
		p.ScaleToZero, p.QueueDepth, p.RunningTasks = true, metric("QueueDepth"), metric("RunningTasks")
		p.Subnets, p.AssignPublicIp = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC}, true
	})
	template.HasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", map[string]any{"MinCapacity": 0, "MaxCapacity": 4})
	template.HasResourceProperties("AWS::ECS::Service", map[string]any{
		"NetworkConfiguration": map[string]any{"AwsvpcConfiguration": tt.Like(map[string]any{"AssignPublicIp": "ENABLED"})},
	})
	policies := template.Resources("AWS::ApplicationAutoScaling::ScalingPolicy")
	var wake, idle string
	for id, p := range policies {
		props := p["Properties"].(map[string]any)
		step, ok := props["StepScalingPolicyConfiguration"].(map[string]any)
		if !ok {
			continue
		}
		if step["AdjustmentType"] != "ExactCapacity" || step["MetricAggregationType"] != "Maximum" || step["Cooldown"] != 60.0 {
			t.Errorf("policy %s: %v", id, step)
		}
		adj := step["StepAdjustments"].([]any)[0].(map[string]any)
		switch {
		case adj["ScalingAdjustment"] == 1.0 && adj["MetricIntervalLowerBound"] == 0.0:
			wake = id
		case adj["ScalingAdjustment"] == 0.0 && adj["MetricIntervalUpperBound"] == 0.0:
			idle = id
		default:
			t.Errorf("policy %s: unexpected adjustment %v", id, adj)
		}
	}
	if wake == "" || idle == "" || len(policies) != 4 {
		t.Fatalf("want a wake-up and an idle step policy beside the two target tracking ones: %v", policies)
	}
	template.HasResourceProperties("AWS::CloudWatch::Alarm", map[string]any{
		"ComparisonOperator": "GreaterThanOrEqualToThreshold", "Threshold": 1, "EvaluationPeriods": 1, "TreatMissingData": "notBreaching",
		"AlarmActions": []any{map[string]any{"Ref": wake}},
		"Metrics": tt.ArrayWith(
			tt.Like(map[string]any{"Expression": "IF(depth > 0 AND tasks == 0, 1, 0)", "ReturnData": true}),
			tt.Like(map[string]any{"Id": "depth", "MetricStat": tt.Like(map[string]any{"Period": 60, "Stat": "Maximum",
				"Metric": tt.Like(map[string]any{"MetricName": "QueueDepth"})})}),
			tt.Like(map[string]any{"Id": "tasks", "MetricStat": tt.Like(map[string]any{"Period": 60, "Stat": "Minimum",
				"Metric": tt.Like(map[string]any{"MetricName": "RunningTasks"})})}),
		),
	})
	template.HasResourceProperties("AWS::CloudWatch::Alarm", map[string]any{
		"ComparisonOperator": "LessThanOrEqualToThreshold", "Threshold": 0, "EvaluationPeriods": IdleMinutes, "DatapointsToAlarm": IdleMinutes,
		"TreatMissingData": "missing", "MetricName": "QueueDepth", "Statistic": "Maximum", "Period": 60,
		"AlarmActions": []any{map[string]any{"Ref": idle}},
	})
}

func TestScaleToZeroValidation(t *testing.T) {
	if err := (&Props{Queue: "celery", ScaleToZero: true, MinTasks: 1}).Validate(); err == nil ||
		err.Error() != "celeryworker.Props.MinTasks: 1 with ScaleToZero; a service that scales to zero has a floor of 0" {
		t.Errorf("MinTasks 1 with ScaleToZero: %v", err)
	}
	if err := (&Props{Queue: "celery", ScaleToZero: true}).Validate(); err != nil {
		t.Errorf("ScaleToZero: %v", err)
	}
	base := Props{Cluster: placeholderCluster{}, Queue: "celery", BacklogPerTask: placeholderMetric{}, Task: apptask.Props{Image: placeholderImage{}}, ScaleToZero: true}
	if _, err := New(nil, "Worker", &base); err == nil || !strings.Contains(err.Error(), "celeryworker.Props.QueueDepth: required with ScaleToZero") {
		t.Errorf("ScaleToZero without metrics: %v", err)
	}
}
