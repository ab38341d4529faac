// Package monitoring provides the alarms and the dashboard of a Django +
// Celery app on ECS: the request path (load balancer, web service), the
// workers (queue depth and age, tasks), the data layer (PostgreSQL, the
// cache) and the releases, each alarm notifying one SNS topic.
package monitoring

import (
	"errors"
	"fmt"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Thresholds of the alarms. A zero value takes the default in brackets.
type Thresholds struct {
	Alb5xxPercent          float64 // [5] load balancer 5xx, % of requests over 5 minutes
	Target5xxPercent       float64 // [5] Django 5xx, % of requests over 5 minutes
	LatencyP95Seconds      float64 // [1] p95 response time
	LatencyP99Seconds      float64 // [3] p99 response time
	ServiceCpuPercent      float64 // [85] a service's average CPU
	ServiceMemoryPercent   float64 // [85] a service's average memory
	QueueDepth             float64 // [1000] messages waiting in a queue
	QueueAgeSeconds        float64 // [600] age of a queue's oldest message
	DatabaseCpuPercent     float64 // [80]
	DatabaseFreeStoragePct float64 // [10] free storage, % of the allocated
	DatabaseFreeMemoryPct  float64 // [10] freeable memory, % of the class's
	DatabaseConnectionsPct float64 // [80] connections, % of max_connections
	CacheCpuPercent        float64 // [80] engine CPU
	CacheMemoryPercent     float64 // [80] memory used by data
}

// withDefaults returns t with each zero threshold at its default.
func (t Thresholds) withDefaults() Thresholds {
	for _, d := range []struct {
		field *float64
		value float64
	}{
		{&t.Alb5xxPercent, 5}, {&t.Target5xxPercent, 5}, {&t.LatencyP95Seconds, 1}, {&t.LatencyP99Seconds, 3},
		{&t.ServiceCpuPercent, 85}, {&t.ServiceMemoryPercent, 85}, {&t.QueueDepth, 1000}, {&t.QueueAgeSeconds, 600},
		{&t.DatabaseCpuPercent, 80}, {&t.DatabaseFreeStoragePct, 10}, {&t.DatabaseFreeMemoryPct, 10},
		{&t.DatabaseConnectionsPct, 80}, {&t.CacheCpuPercent, 80}, {&t.CacheMemoryPercent, 80},
	} {
		if *d.field == 0 {
			*d.field = d.value
		}
	}
	return t
}

// Validate reports every threshold out of range, defaults applied: a
// percentage must be above 0 and below 100, a latency, depth or age above
// 0, and the p99 latency at least the p95.
func (t Thresholds) Validate() error {
	t = t.withDefaults()
	var l propserr.List
	field := func(name string) string { return "monitoring.Props.Thresholds." + name }
	for _, pct := range []struct {
		name  string
		value float64
	}{
		{"Alb5xxPercent", t.Alb5xxPercent}, {"Target5xxPercent", t.Target5xxPercent}, {"ServiceCpuPercent", t.ServiceCpuPercent},
		{"ServiceMemoryPercent", t.ServiceMemoryPercent}, {"DatabaseCpuPercent", t.DatabaseCpuPercent},
		{"DatabaseFreeStoragePct", t.DatabaseFreeStoragePct}, {"DatabaseFreeMemoryPct", t.DatabaseFreeMemoryPct},
		{"DatabaseConnectionsPct", t.DatabaseConnectionsPct}, {"CacheCpuPercent", t.CacheCpuPercent}, {"CacheMemoryPercent", t.CacheMemoryPercent},
	} {
		if pct.value <= 0 || pct.value >= 100 {
			l.Add(field(pct.name), "%g is not a percentage between 0 and 100", pct.value)
		}
	}
	for _, pos := range []struct {
		name  string
		value float64
	}{{"LatencyP95Seconds", t.LatencyP95Seconds}, {"LatencyP99Seconds", t.LatencyP99Seconds}, {"QueueDepth", t.QueueDepth}, {"QueueAgeSeconds", t.QueueAgeSeconds}} {
		if pos.value <= 0 {
			l.Add(field(pos.name), "%g is not above 0", pos.value)
		}
	}
	if t.LatencyP99Seconds < t.LatencyP95Seconds {
		l.Add(field("LatencyP99Seconds"), "%g is below the p95 latency threshold (%g)", t.LatencyP99Seconds, t.LatencyP95Seconds)
	}
	return errors.Join(l...)
}

// Service is an ECS service to watch.
type Service struct {
	// Name in alarm names and on the dashboard, such as "web".
	Name string
	// ServiceName is the ECS service's name.
	ServiceName *string
}

// Queue is a Celery queue to watch.
type Queue struct {
	Name string
	// Depth and OldestAge are the queue's metrics (see package queuemetrics).
	Depth, OldestAge awscloudwatch.IMetric
}

// Job is a scheduled job to watch (see package scheduledjob).
type Job struct {
	// Name in alarm names and on the dashboard, such as "clearsessions".
	Name string
	// RunnerArn is the ARN of the job's state machine, whose executions
	// are its runs.
	RunnerArn *string
}

// Database is the PostgreSQL instance to watch.
type Database struct {
	// InstanceIdentifier is the RDS instance's identifier.
	InstanceIdentifier *string
	StorageGiB         int // allocated storage
	MemoryGiB          int // the instance class's memory
	MaxConnections     int // max_connections
}

// Props configures Monitoring.
type Props struct {
	// Topic receives every alarm and the pipeline's failures. Required.
	Topic awssns.ITopic
	// Name starts the alarm names and names the dashboard. Required.
	Name string
	// LoadBalancerFullName (app/<name>/<id>) and TargetGroupFullName
	// (targetgroup/<name>/<id>) are the web service's metric dimensions.
	// Names, not constructs: they may be values read at deploy time. Required.
	LoadBalancerFullName, TargetGroupFullName *string
	// ClusterName is the cluster that runs the services. Required.
	ClusterName *string
	// Services are the web service, the workers and beat. Required.
	Services []Service
	// Queues are the Celery queues. Default: none.
	Queues []Queue
	// Jobs are the scheduled jobs. Default: none.
	Jobs []Job
	// Database is PostgreSQL. Required.
	Database Database
	// CacheNodes are the ElastiCache node ids (CacheClusterId). Default: none.
	CacheNodes []string
	// PipelineName is the release pipeline's. Default: none.
	PipelineName *string
	// Thresholds of the alarms.
	Thresholds Thresholds
	// SkipDashboard leaves the dashboard out (CloudWatch bills $3 a month
	// for each beyond an account's first three); the alarms stay.
	// Default: false.
	SkipDashboard bool
}

// Monitoring is the alarms and the dashboard, a construct of its own: tag
// it, depend on it, or scope a cdk-nag suppression to it.
type Monitoring struct {
	constructs.Construct
	alarms    []awscloudwatch.Alarm
	dashboard awscloudwatch.Dashboard
}

const gib = 1024 * 1024 * 1024

// New creates Monitoring under scope, or, before creating anything,
// returns an error that starts with the construct's path and names every
// missing field of props.
func New(scope constructs.Construct, id string, props *Props) (*Monitoring, error) {
	p, err := props.withDefaults()
	if err != nil {
		return nil, propserr.Prefix(scope, id, err)
	}
	m := &Monitoring{}
	constructs.NewConstruct_Override(m, scope, jsii.String(id))
	construct := m
	t := p.Thresholds
	five := awscdk.Duration_Minutes(jsii.Number(5))
	action := awscloudwatchactions.NewSnsAction(p.Topic)
	alarm := func(id, description string, metric awscloudwatch.IMetric, op awscloudwatch.ComparisonOperator, threshold float64, periods int) awscloudwatch.Alarm {
		a := awscloudwatch.NewAlarm(construct, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmName:          jsii.String(p.Name + "-" + id),
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			ComparisonOperator: op,
			EvaluationPeriods:  jsii.Number(periods),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
		m.alarms = append(m.alarms, a)
		return a
	}
	above, below := awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD
	sum := &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}
	percentOf := func(label string, part, whole awscloudwatch.IMetric) awscloudwatch.MathExpression {
		return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression:   jsii.String("IF(whole > 0, 100 * part / whole, 0)"),
			UsingMetrics: &map[string]awscloudwatch.IMetric{"part": part, "whole": whole},
			Label:        jsii.String(label),
			Period:       five,
		})
	}

	// The request path.
	lb, targets := p.loadBalancerMetrics(), p.targetMetrics()
	alarm("alb-5xx", "The load balancer answers 5xx (no healthy task, or tasks failing): check the web service's tasks and health checks",
		percentOf("ALB 5xx %", lb.Elb5xxCount(sum), lb.RequestCount(sum)), above, t.Alb5xxPercent, 1)
	alarm("target-5xx", "Django answers 5xx: read the web logs and Sentry for the exception",
		percentOf("Django 5xx %", targets.Target5xxCount(sum), targets.RequestCount(sum)), above, t.Target5xxPercent, 1)
	alarm("latency-p95", "Slow responses (p95): look for slow queries in the PostgreSQL log and for saturated web tasks",
		targets.TargetResponseTime(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p95")}), above, t.LatencyP95Seconds, 3)
	alarm("latency-p99", "Slow responses (p99): a few requests are very slow; look for slow views and queries",
		targets.TargetResponseTime(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p99")}), above, t.LatencyP99Seconds, 3)
	alarm("unhealthy-hosts", "Web tasks fail their health check: read their logs (startup errors, database or cache unreachable)",
		targets.UnhealthyHostCount(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Maximum")}), above, 0, 3)

	// Every service.
	for _, s := range p.Services {
		max := &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Average")}
		alarm(s.Name+"-cpu", "The "+s.Name+" tasks are CPU bound: autoscaling is at its maximum or too slow; raise maxTasks or the task size",
			p.serviceMetric(s, "CPUUtilization", max), above, t.ServiceCpuPercent, 3)
		alarm(s.Name+"-memory", "The "+s.Name+" tasks are short of memory (a leak, or too many workers): raise the memory or recycle workers",
			p.serviceMetric(s, "MemoryUtilization", max), above, t.ServiceMemoryPercent, 3)
		insights := func(name string) awscloudwatch.Metric {
			return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String("ECS/ContainerInsights"), MetricName: jsii.String(name), Period: five, Statistic: jsii.String("Average"),
				DimensionsMap: &map[string]*string{"ClusterName": p.ClusterName, "ServiceName": s.ServiceName},
			})
		}
		alarm(s.Name+"-tasks-missing", "Fewer "+s.Name+" tasks run than desired for 15 minutes: tasks crash at start (read their stopped reason) or capacity is short",
			awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Expression:   jsii.String("desired - running"),
				UsingMetrics: &map[string]awscloudwatch.IMetric{"desired": insights("DesiredTaskCount"), "running": insights("RunningTaskCount")},
				Label:        jsii.String(s.Name + " tasks missing"), Period: five,
			}), above, 0, 3)
	}

	// The queues.
	for _, q := range p.Queues {
		alarm("queue-"+q.Name+"-depth", "Celery queue "+q.Name+" is backing up: workers are too few, stuck or failing; check their logs and maxTasks",
			q.Depth, above, t.QueueDepth, 3)
		alarm("queue-"+q.Name+"-age", "The oldest message of Celery queue "+q.Name+" has waited too long: no worker is consuming it",
			q.OldestAge, above, t.QueueAgeSeconds, 2)
	}

	// The scheduled jobs: a run fails on a non-zero exit, a task that did
	// not start, a RunTask error or the job's timeout.
	for _, j := range p.Jobs {
		alarm("job-"+j.Name+"-failed", "Scheduled job "+j.Name+" failed (non-zero exit, task failed to start or timed out): read the failed execution of its state machine (RunTask's output: StopCode, StoppedReason, ExitCode) and the task's logs",
			jobMetric(j, "ExecutionsFailed", sum), above, 0, 1)
	}

	// The data layer.
	db := p.Database
	dbAvg := &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Average")}
	alarm("database-cpu", "PostgreSQL is CPU bound: find the heavy queries in Performance Insights and the slow query log",
		p.databaseMetric("CPUUtilization", dbAvg), above, t.DatabaseCpuPercent, 3)
	alarm("database-storage", "PostgreSQL storage is running out: storage autoscaling is at its maximum (database.maxAllocatedStorageGiB)",
		p.databaseMetric("FreeStorageSpace", dbAvg), below, float64(db.StorageGiB)*gib*t.DatabaseFreeStoragePct/100, 1)
	alarm("database-memory", "PostgreSQL is short of memory: too many connections or a larger class is due",
		p.databaseMetric("FreeableMemory", dbAvg), below, float64(db.MemoryGiB)*gib*t.DatabaseFreeMemoryPct/100, 3)
	alarm("database-connections", "PostgreSQL connections near max_connections: lower web or worker concurrency, or turn on database.proxy",
		p.databaseMetric("DatabaseConnections", &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}), above, float64(db.MaxConnections)*t.DatabaseConnectionsPct/100, 2)
	for _, node := range p.CacheNodes {
		metric := func(name, statistic string) awscloudwatch.Metric {
			return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String("AWS/ElastiCache"), MetricName: jsii.String(name), Period: five, Statistic: jsii.String(statistic),
				DimensionsMap: &map[string]*string{"CacheClusterId": jsii.String(node)},
			})
		}
		alarm("cache-"+node+"-cpu", "The cache engine is CPU bound: large keys or slow commands; read the slow log",
			metric("EngineCPUUtilization", "Average"), above, t.CacheCpuPercent, 3)
		alarm("cache-"+node+"-memory", "The cache is nearly full: it will evict keys, Celery messages among them; use a larger node type",
			metric("DatabaseMemoryUsagePercentage", "Average"), above, t.CacheMemoryPercent, 3)
		alarm("cache-"+node+"-evictions", "The cache evicted keys: queued Celery messages may be lost; use a larger node type now",
			metric("Evictions", "Sum"), above, 0, 1)
	}

	// The releases.
	if p.PipelineName != nil {
		// In this construct's stack: the pipeline's own OnStateChange would
		// put the rule in the pipeline's stack, pointing back at this one.
		awsevents.NewRule(construct, jsii.String("ReleaseFailed"), &awsevents.RuleProps{
			Description: jsii.String("A release failed"),
			EventPattern: &awsevents.EventPattern{
				Source:     jsii.Strings("aws.codepipeline"),
				DetailType: jsii.Strings("CodePipeline Pipeline Execution State Change"),
				Resources: jsii.Strings(*awscdk.Stack_Of(construct).FormatArn(&awscdk.ArnComponents{
					Service: jsii.String("codepipeline"), Resource: p.PipelineName,
				})),
				Detail: &map[string]any{"state": []string{"FAILED"}},
			},
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSnsTopic(p.Topic, nil)},
		})
	}

	if !p.SkipDashboard {
		m.dashboard = dashboard(construct, &p, m.alarms)
	}
	return m, nil
}

// dashboard lays out the request path, the workers, the data layer and the
// releases.
func dashboard(scope constructs.Construct, p *Props, alarms []awscloudwatch.Alarm) awscloudwatch.Dashboard {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	opts := func(stat string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String(stat)}
	}
	graph := func(title string, metrics ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &metrics, Width: jsii.Number(8)})
	}
	lb, targets := p.loadBalancerMetrics(), p.targetMetrics()
	d := awscloudwatch.NewDashboard(scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(p.Name),
	})
	d.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Markdown: jsii.String("## Request path: load balancer → web"), Width: jsii.Number(24), Height: jsii.Number(1)}))
	d.AddWidgets(
		graph("Requests and errors", lb.RequestCount(opts("Sum")), lb.Elb5xxCount(opts("Sum")),
			targets.Target5xxCount(opts("Sum"))),
		graph("Response time (s)", targets.TargetResponseTime(opts("p50")), targets.TargetResponseTime(opts("p95")), targets.TargetResponseTime(opts("p99"))),
		graph("Healthy and unhealthy tasks", targets.HealthyHostCount(opts("Average")), targets.UnhealthyHostCount(opts("Maximum"))),
	)
	var cpu, memory, deployments []awscloudwatch.IMetric
	for _, s := range p.Services {
		cpu = append(cpu, p.serviceMetric(s, "CPUUtilization", opts("Average")))
		memory = append(memory, p.serviceMetric(s, "MemoryUtilization", opts("Average")))
		deployments = append(deployments, awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("ECS/ContainerInsights"), MetricName: jsii.String("DeploymentCount"), Period: five, Statistic: jsii.String("Maximum"),
			DimensionsMap: &map[string]*string{"ClusterName": p.ClusterName, "ServiceName": s.ServiceName},
			Label:         jsii.String(s.Name),
		}))
	}
	d.AddWidgets(graph("Services: CPU %", cpu...), graph("Services: memory %", memory...), graph("Releases: deployments in progress", deployments...))
	d.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Markdown: jsii.String("## Workers: Celery queues"), Width: jsii.Number(24), Height: jsii.Number(1)}))
	var depth, age []awscloudwatch.IMetric
	for _, q := range p.Queues {
		depth, age = append(depth, q.Depth), append(age, q.OldestAge)
	}
	if len(depth) > 0 {
		d.AddWidgets(graph("Queue depth", depth...), graph("Oldest message age (s)", age...))
	}
	if len(p.Jobs) > 0 {
		d.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Markdown: jsii.String("## Scheduled jobs"), Width: jsii.Number(24), Height: jsii.Number(1)}))
		var widgets []awscloudwatch.IWidget
		for _, j := range p.Jobs {
			var metrics []awscloudwatch.IMetric
			for _, name := range []string{"ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed"} {
				o := opts("Sum")
				o.Label = jsii.String(strings.TrimPrefix(name, "Executions")) // runs started, succeeded, failed
				metrics = append(metrics, jobMetric(j, name, o))
			}
			widgets = append(widgets, graph("Job "+j.Name+": runs and failures", metrics...))
		}
		d.AddWidgets(widgets...)
	}
	d.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Markdown: jsii.String("## Data: PostgreSQL and cache"), Width: jsii.Number(24), Height: jsii.Number(1)}))
	d.AddWidgets(graph("PostgreSQL CPU %", p.databaseMetric("CPUUtilization", opts("Average"))), graph("PostgreSQL connections", p.databaseMetric("DatabaseConnections", opts("Maximum"))),
		graph("PostgreSQL free storage (bytes)", p.databaseMetric("FreeStorageSpace", opts("Minimum"))))
	var cacheCPU, cacheMemory []awscloudwatch.IMetric
	for _, node := range p.CacheNodes {
		dims := &map[string]*string{"CacheClusterId": jsii.String(node)}
		cacheCPU = append(cacheCPU, awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("AWS/ElastiCache"), MetricName: jsii.String("EngineCPUUtilization"), DimensionsMap: dims, Period: five}))
		cacheMemory = append(cacheMemory, awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("AWS/ElastiCache"), MetricName: jsii.String("DatabaseMemoryUsagePercentage"), DimensionsMap: dims, Period: five}))
	}
	if len(cacheCPU) > 0 {
		d.AddWidgets(graph("Cache engine CPU %", cacheCPU...), graph("Cache memory %", cacheMemory...))
	}
	alarmList := make([]interfacesawscloudwatch.IAlarmRef, len(alarms))
	for i, a := range alarms {
		alarmList[i] = a
	}
	d.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{Title: jsii.String("Alarms"), Alarms: &alarmList, Width: jsii.Number(24)}))
	return d
}

// Alarms returns every alarm.
func (m *Monitoring) Alarms() []awscloudwatch.Alarm { return m.alarms }

// Dashboard returns the dashboard, nil with SkipDashboard.
func (m *Monitoring) Dashboard() awscloudwatch.Dashboard { return m.dashboard }

func (props *Props) withDefaults() (Props, error) {
	var p Props
	if props != nil {
		p = *props
	}
	p.Thresholds = p.Thresholds.withDefaults()
	var problems []error
	required := func(field string, missing bool) {
		if missing {
			problems = append(problems, fmt.Errorf("monitoring.Props.%s: required", field))
		}
	}
	required("Topic", p.Topic == nil)
	required("Name", p.Name == "")
	required("LoadBalancerFullName", p.LoadBalancerFullName == nil)
	required("TargetGroupFullName", p.TargetGroupFullName == nil)
	required("ClusterName", p.ClusterName == nil)
	required("Services", len(p.Services) == 0)
	for i, s := range p.Services {
		required(fmt.Sprintf("Services[%d].Name", i), s.Name == "")
		required(fmt.Sprintf("Services[%d].ServiceName", i), s.ServiceName == nil)
	}
	for i, q := range p.Queues {
		required(fmt.Sprintf("Queues[%d].Name", i), q.Name == "")
		required(fmt.Sprintf("Queues[%d].Depth", i), q.Depth == nil)
		required(fmt.Sprintf("Queues[%d].OldestAge", i), q.OldestAge == nil)
	}
	for i, j := range p.Jobs {
		required(fmt.Sprintf("Jobs[%d].Name", i), j.Name == "")
		required(fmt.Sprintf("Jobs[%d].RunnerArn", i), j.RunnerArn == nil)
	}
	required("Database.InstanceIdentifier", p.Database.InstanceIdentifier == nil)
	required("Database.StorageGiB", p.Database.StorageGiB < 1)
	required("Database.MemoryGiB", p.Database.MemoryGiB < 1)
	required("Database.MaxConnections", p.Database.MaxConnections < 1)
	if err := p.Thresholds.Validate(); err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return p, errors.Join(problems...)
	}
	return p, nil
}

// elbMetrics builds the AWS/ApplicationELB metrics of one set of dimensions,
// as CDK's load balancer and target group metrics do.
type elbMetrics map[string]*string

func (p *Props) loadBalancerMetrics() elbMetrics {
	return elbMetrics{"LoadBalancer": p.LoadBalancerFullName}
}

func (p *Props) targetMetrics() elbMetrics {
	return elbMetrics{"LoadBalancer": p.LoadBalancerFullName, "TargetGroup": p.TargetGroupFullName}
}

func (e elbMetrics) metric(name string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("AWS/ApplicationELB"), MetricName: jsii.String(name), DimensionsMap: (*map[string]*string)(&e),
		Period: opts.Period, Statistic: opts.Statistic,
	})
}

func (e elbMetrics) RequestCount(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return e.metric("RequestCount", opts)
}

func (e elbMetrics) Elb5xxCount(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return e.metric("HTTPCode_ELB_5XX_Count", opts)
}

func (e elbMetrics) Target5xxCount(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return e.metric("HTTPCode_Target_5XX_Count", opts)
}

func (e elbMetrics) TargetResponseTime(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return e.metric("TargetResponseTime", opts)
}

func (e elbMetrics) HealthyHostCount(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return e.metric("HealthyHostCount", opts)
}

func (e elbMetrics) UnhealthyHostCount(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return e.metric("UnHealthyHostCount", opts)
}

// serviceMetric is an AWS/ECS metric of service s.
func (p *Props) serviceMetric(s Service, name string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("AWS/ECS"), MetricName: jsii.String(name), Period: opts.Period, Statistic: opts.Statistic,
		DimensionsMap: &map[string]*string{"ClusterName": p.ClusterName, "ServiceName": s.ServiceName},
	})
}

// jobMetric is an AWS/States metric of job j's state machine.
func jobMetric(j Job, name string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("AWS/States"), MetricName: jsii.String(name), Period: opts.Period, Statistic: opts.Statistic,
		DimensionsMap: &map[string]*string{"StateMachineArn": j.RunnerArn},
		Label:         opts.Label,
	})
}

// databaseMetric is an AWS/RDS metric of the database instance.
func (p *Props) databaseMetric(name string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("AWS/RDS"), MetricName: jsii.String(name), Period: opts.Period, Statistic: opts.Statistic,
		DimensionsMap: &map[string]*string{"DBInstanceIdentifier": p.Database.InstanceIdentifier},
	})
}
