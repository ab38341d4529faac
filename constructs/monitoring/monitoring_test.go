package monitoring

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/internal/templatetest"
	tt "github.com/djangocdk/djangocdk/constructs/internal/templatetest"
)

type placeholderTopic struct{ awssns.ITopic }

// newStack returns a stack in an App of its own: the test binary shares
// one node process, but not one App, since an App whose tree changes after
// a synthesis (Template_FromStack synthesizes it) refuses to synthesize again.
func newStack(name string) awscdk.Stack {
	return awscdk.NewStack(awscdk.NewApp(nil), jsii.String(name), nil)
}

// minimal returns the required props: one web service and a database.
func minimal(stack awscdk.Stack) *Props {
	return &Props{
		Topic:                awssns.NewTopic(stack, jsii.String("Alarms"), nil),
		Name:                 "shop",
		LoadBalancerFullName: jsii.String("app/shop/0123456789abcdef"),
		TargetGroupFullName:  jsii.String("targetgroup/shop-web/0123456789abcdef"),
		ClusterName:          jsii.String("shop"),
		Services:             []Service{{Name: "web", ServiceName: jsii.String("shop-web")}},
		Database:             Database{InstanceIdentifier: jsii.String("shop-db"), StorageGiB: 100, MemoryGiB: 4, MaxConnections: 400},
	}
}

func newMonitoring(t *testing.T, stack awscdk.Stack, props *Props) *Monitoring {
	t.Helper()
	m, err := New(stack, "Monitoring", props)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// alarm matches the alarm named shop-<id> with the given properties.
func alarm(id string, props map[string]any) map[string]any {
	props["AlarmName"] = "shop-" + id
	return props
}

func TestPropsValidation(t *testing.T) {
	for props, want := range map[*Props]string{
		{}:                          "Monitoring: monitoring.Props.Topic: required",
		{Topic: placeholderTopic{}}: "Monitoring: monitoring.Props.Name: required",
		{Topic: placeholderTopic{}, Name: "shop"}: "Monitoring: monitoring.Props.LoadBalancerFullName: required",
	} {
		if _, err := New(nil, "Monitoring", props); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %v, want %s...", err, want)
		}
	}
}

// Every problem at once, each line under the construct's path, and
// nothing created.
func TestNewReportsEveryProblemUnderTheConstructPath(t *testing.T) {
	stack := newStack("Invalid")
	_, err := New(stack, "Monitoring", &Props{
		Services: []Service{{Name: "web"}},
		Queues:   []Queue{{Name: "celery"}},
		Database: Database{StorageGiB: 100},
	})
	want := []string{"Topic", "Name", "LoadBalancerFullName", "TargetGroupFullName", "ClusterName", "Services[0].ServiceName",
		"Queues[0].Depth", "Queues[0].OldestAge", "Database.InstanceIdentifier", "Database.MemoryGiB", "Database.MaxConnections"}
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for i, field := range want {
		if line := "Invalid/Monitoring: monitoring.Props." + field + ": required"; lines[i] != line {
			t.Errorf("problem %d: %q, want %q", i, lines[i], line)
		}
	}
	if n := len(*stack.Node().Children()); n != 0 {
		t.Errorf("%d constructs created before the validation failed", n)
	}
}

func TestDefaultThresholds(t *testing.T) {
	p, _ := (&Props{}).withDefaults()
	if p.Thresholds.QueueAgeSeconds != 600 || p.Thresholds.LatencyP99Seconds != 3 || p.Thresholds.DatabaseConnectionsPct != 80 {
		t.Errorf("defaults %+v", p.Thresholds)
	}
}

// The default alarms: the request path (5), each service (3) and the
// database (4), each notifying the topic on alarm and on recovery, missing
// data not breaching; a dashboard named after the app; no release rule.
func TestDefaultAlarms(t *testing.T) {
	stack := newStack("Defaults")
	m := newMonitoring(t, stack, minimal(stack))
	if len(m.Alarms()) != 12 {
		t.Errorf("%d alarms, want 12", len(m.Alarms()))
	}
	topic := []any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Alarms"))}}
	const gib = 1024 * 1024 * 1024
	templatetest.Assert(t, stack, func(tmpl assertions.Template) {
		tmpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(12))
		tmpl.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(0))
		tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Dashboard"), map[string]any{"DashboardName": "shop"})
		tmpl.AllResourcesProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"AlarmActions": topic, "OKActions": topic, "TreatMissingData": "notBreaching",
		})
		for _, want := range []map[string]any{
			alarm("alb-5xx", map[string]any{"Threshold": 5, "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 1,
				"Metrics": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"Expression": "IF(whole > 0, 100 * part / whole, 0)"})})}),
			alarm("target-5xx", map[string]any{"Threshold": 5}),
			alarm("latency-p95", map[string]any{"Threshold": 1, "ExtendedStatistic": "p95", "MetricName": "TargetResponseTime", "Namespace": "AWS/ApplicationELB", "EvaluationPeriods": 3,
				"Dimensions": []any{map[string]any{"Name": "LoadBalancer", "Value": "app/shop/0123456789abcdef"}, map[string]any{"Name": "TargetGroup", "Value": "targetgroup/shop-web/0123456789abcdef"}}}),
			alarm("latency-p99", map[string]any{"Threshold": 3, "ExtendedStatistic": "p99"}),
			alarm("unhealthy-hosts", map[string]any{"Threshold": 0, "MetricName": "UnHealthyHostCount", "Statistic": "Maximum", "Period": 60}),
			alarm("web-cpu", map[string]any{"Threshold": 85, "Namespace": "AWS/ECS", "MetricName": "CPUUtilization",
				"Dimensions": []any{map[string]any{"Name": "ClusterName", "Value": "shop"}, map[string]any{"Name": "ServiceName", "Value": "shop-web"}}}),
			alarm("web-memory", map[string]any{"Threshold": 85, "MetricName": "MemoryUtilization"}),
			alarm("web-tasks-missing", map[string]any{"Threshold": 0,
				"Metrics": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"Expression": "desired - running"})})}),
			alarm("database-cpu", map[string]any{"Threshold": 80, "Namespace": "AWS/RDS",
				"Dimensions": []any{map[string]any{"Name": "DBInstanceIdentifier", "Value": "shop-db"}}}),
			// 10% of 100 GiB, 10% of 4 GiB, 80% of 400 connections.
			alarm("database-storage", map[string]any{"Threshold": 10 * gib, "ComparisonOperator": "LessThanThreshold", "MetricName": "FreeStorageSpace"}),
			alarm("database-memory", map[string]any{"Threshold": 0.4 * gib, "ComparisonOperator": "LessThanThreshold", "MetricName": "FreeableMemory"}),
			alarm("database-connections", map[string]any{"Threshold": 320, "MetricName": "DatabaseConnections", "Statistic": "Maximum", "EvaluationPeriods": 2}),
		} {
			tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), want)
		}
	})
}

// Each queue: its depth and the age of its oldest message.
func TestQueueAlarms(t *testing.T) {
	stack := newStack("Queues")
	props := minimal(stack)
	metric := func(name string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("Celery"), MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{"Cluster": jsii.String("shop"), "Queue": jsii.String("celery")}})
	}
	props.Queues = []Queue{{Name: "celery", Depth: metric("QueueDepth"), OldestAge: metric("OldestMessageAge")}}
	props.Thresholds.QueueDepth = 50
	newMonitoring(t, stack, props)
	templatetest.Assert(t, stack, func(tmpl assertions.Template) {
		tmpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(14))
		tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), alarm("queue-celery-depth", map[string]any{
			"Threshold": 50, "Namespace": "Celery", "MetricName": "QueueDepth", "EvaluationPeriods": 3,
		}))
		tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), alarm("queue-celery-age", map[string]any{
			"Threshold": 600, "MetricName": "OldestMessageAge", "EvaluationPeriods": 2,
		}))
	})
}

// Each cache node: engine CPU, memory and any eviction.
func TestCacheAlarms(t *testing.T) {
	stack := newStack("Cache")
	props := minimal(stack)
	props.CacheNodes = []string{"shop-001", "shop-002"}
	newMonitoring(t, stack, props)
	templatetest.Assert(t, stack, func(tmpl assertions.Template) {
		tmpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(18))
		for _, node := range props.CacheNodes {
			dims := []any{map[string]any{"Name": "CacheClusterId", "Value": node}}
			tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), alarm("cache-"+node+"-cpu", map[string]any{"Threshold": 80, "MetricName": "EngineCPUUtilization", "Dimensions": dims}))
			tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), alarm("cache-"+node+"-memory", map[string]any{"Threshold": 80, "MetricName": "DatabaseMemoryUsagePercentage"}))
			tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), alarm("cache-"+node+"-evictions", map[string]any{"Threshold": 0, "MetricName": "Evictions", "Statistic": "Sum", "EvaluationPeriods": 1}))
		}
	})
}

// With a pipeline: a rule in this stack sends its failed executions to the topic.
func TestReleaseFailedRule(t *testing.T) {
	stack := newStack("Releases")
	props := minimal(stack)
	props.PipelineName = jsii.String("shop-release")
	newMonitoring(t, stack, props)
	templatetest.Assert(t, stack, func(tmpl assertions.Template) {
		tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"EventPattern": map[string]any{
				"source":      []any{"aws.codepipeline"},
				"detail-type": []any{"CodePipeline Pipeline Execution State Change"},
				"detail":      map[string]any{"state": []any{"FAILED"}},
				"resources":   []any{assertions.Match_AnyValue()},
			},
			"Targets": []any{assertions.Match_ObjectLike(&map[string]any{"Arn": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Alarms"))}})},
		})
	})
}

// Monitoring is a construct: its alarms are its children, and tags apply
// to what it holds.
func TestIsAConstruct(t *testing.T) {
	stack := newStack("Construct")
	m := newMonitoring(t, stack, minimal(stack))
	awscdk.Tags_Of(m).Add(jsii.String("team"), jsii.String("ops"), nil)
	if got := *m.Node().Path(); got != "Construct/Monitoring" {
		t.Errorf("path %s", got)
	}
	if got := *m.Dashboard().Node().Scope().Node().Path(); got != "Construct/Monitoring" {
		t.Errorf("the dashboard is under %s", got)
	}
	if id := *stack.GetLogicalId(m.Alarms()[0].Node().DefaultChild().(awscdk.CfnElement)); !strings.HasPrefix(id, "Monitoringalb5xx") {
		t.Errorf("alarm logical id %s", id)
	}
	templatetest.Assert(t, stack, func(tmpl assertions.Template) {
		tmpl.AllResourcesProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"Tags": []any{map[string]any{"Key": "team", "Value": "ops"}},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{"Tags": assertions.Match_Absent()})
	})
}

// TestJobs checks each scheduled job's failure alarm and dashboard widget.
func TestJobs(t *testing.T) {
	stack := newStack("Jobs")
	props := minimal(stack)
	props.Jobs = []Job{{Name: "clearsessions", RunnerArn: jsii.String("arn:aws:states:us-east-1:123456789012:stateMachine:clear")}}
	newMonitoring(t, stack, props)
	template := tt.FromStack(t, stack)
	template.HasResourceProperties("AWS::CloudWatch::Alarm", alarm("job-clearsessions-failed", map[string]any{
		"Namespace": "AWS/States", "MetricName": "ExecutionsFailed", "Statistic": "Sum", "Period": 300.0,
		"Threshold": 0.0, "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 1.0,
		"Dimensions":   []any{map[string]any{"Name": "StateMachineArn", "Value": "arn:aws:states:us-east-1:123456789012:stateMachine:clear"}},
		"AlarmActions": []any{map[string]any{"Ref": tt.AnyValue()}},
	}))
	body := fmt.Sprint(template.Properties("AWS::CloudWatch::Dashboard")["DashboardBody"])
	for _, want := range []string{`"title":"Job clearsessions: runs and failures"`, `["AWS/States","ExecutionsStarted","StateMachineArn","arn:aws:states:us-east-1:123456789012:stateMachine:clear"`, `"ExecutionsFailed"`, "## Scheduled jobs"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %s:\n%s", want, body)
		}
	}
	if _, err := New(nil, "Monitoring", &Props{Topic: placeholderTopic{}, Jobs: []Job{{Name: "x"}}}); err == nil || !strings.Contains(err.Error(), "monitoring.Props.Jobs[0].RunnerArn: required") {
		t.Errorf("error %v", err)
	}
}
