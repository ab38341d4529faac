// Package celeryworker provides the ECS service of the Celery workers of one
// queue: no load balancer, scaled on the queue's backlog per task (with CPU
// as a second signal), optionally down to zero tasks while the queue is
// empty, stopped with Celery's warm shutdown, optionally on Fargate Spot.
package celeryworker

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
)

var queuePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Props configures a Worker.
type Props struct {
	// Cluster to run in. Required.
	Cluster awsecs.ICluster
	// Queue the workers consume. Required.
	Queue string
	// Concurrency is Celery's --concurrency: tasks run at once per ECS task.
	// Default: 4.
	Concurrency int
	// CeleryApp is the -A argument of the default command.
	// Default: "config.celery_app".
	CeleryApp string
	// Task is the Django container (Image required; see apptask.Props for
	// the other fields' defaults). Default: Command DefaultCommand(CeleryApp,
	// Queue, Concurrency); StopTimeoutSeconds 120, Fargate's maximum, so
	// that SIGTERM's warm shutdown can finish the tasks at hand.
	Task apptask.Props
	// BacklogPerTask is the metric to track: messages waiting per running
	// task (see package queuemetrics). Required.
	BacklogPerTask awscloudwatch.IMetric
	// TargetBacklogPerTask is the backlog per task autoscaling aims for.
	// Default: 2 x Concurrency.
	TargetBacklogPerTask int
	// CpuTargetPercent is the second scaling signal. Default: 70.
	CpuTargetPercent int
	// MinTasks and MaxTasks bound autoscaling. Default: 1 (0 with
	// ScaleToZero) and 4.
	MinTasks, MaxTasks int
	// ScaleToZero lets the service stop its last task once the queue has
	// been empty for IdleMinutes, and start one when a message waits while
	// none runs: target tracking cannot scale out from zero tasks, so two
	// step scaling policies on QueueDepth and RunningTasks do. MinTasks must
	// be 0 (unset). Default: false.
	ScaleToZero bool
	// QueueDepth and RunningTasks are the queue's messages waiting and the
	// service's running tasks, one datum a minute (see package
	// queuemetrics). Required with ScaleToZero.
	QueueDepth, RunningTasks awscloudwatch.Metric
	// Spot runs the tasks on Fargate Spot (up to 70% cheaper; tasks may be
	// stopped with a two-minute warning). Default: false.
	Spot bool
	// SecurityGroup of the tasks. Default: a new one.
	SecurityGroup awsec2.ISecurityGroup
	// Subnets of the tasks. Default: the private subnets with egress.
	Subnets *awsec2.SubnetSelection
	// AssignPublicIp gives each task a public IP, for Subnets that are
	// public subnets (a network without NAT). Default: false.
	AssignPublicIp bool
	// RunCondition holds the service at zero tasks while false. Default: always run.
	RunCondition awscdk.CfnCondition
}

// Worker is the service of one queue's workers. It is a construct: the
// task ("Task") and the service ("Service") are its children.
type Worker struct {
	constructs.Construct
	service      awsecs.FargateService
	task         *apptask.AppTask
	wakeUp, idle awscloudwatch.Alarm
}

// New creates a Worker under scope, or returns an error before creating
// anything: every invalid field of props, each on a line that starts with
// the construct's path ("Compute/Worker-emails: celeryworker.Props.Queue: ...").
func New(scope constructs.Construct, id string, props *Props) (*Worker, error) {
	p := props.withDefaults()
	if err := propserr.At(scope, id, p.problems()); err != nil {
		return nil, err
	}
	w := &Worker{}
	constructs.NewConstruct_Override(w, scope, jsii.String(id))
	task, err := apptask.New(w, "Task", &p.Task)
	if err != nil {
		return nil, err
	}
	serviceProps := &awsecs.FargateServiceProps{
		Cluster:                    p.Cluster,
		TaskDefinition:             task.TaskDefinition(),
		VpcSubnets:                 p.Subnets,
		AssignPublicIp:             jsii.Bool(p.AssignPublicIp),
		DesiredCount:               apptask.DesiredGate(p.RunCondition),
		MinHealthyPercent:          jsii.Number(100),
		MaxHealthyPercent:          jsii.Number(MaxHealthyPercent),
		CircuitBreaker:             &awsecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)},
		CapacityProviderStrategies: apptask.CapacityStrategy(p.Spot),
	}
	if p.SecurityGroup != nil {
		serviceProps.SecurityGroups = &[]awsec2.ISecurityGroup{p.SecurityGroup}
	}
	service := awsecs.NewFargateService(w, jsii.String("Service"), serviceProps)
	apptask.DependOnCapacityProviders(service, p.Cluster)

	scaling := service.AutoScaleTaskCount(&awsapplicationautoscaling.EnableScalingProps{
		MinCapacity: apptask.ScaleGate(p.RunCondition, p.MinTasks),
		MaxCapacity: apptask.ScaleGate(p.RunCondition, p.MaxTasks),
	})
	scaling.ScaleToTrackCustomMetric(jsii.String("Backlog"), &awsecs.TrackCustomMetricProps{
		Metric:           p.BacklogPerTask,
		TargetValue:      jsii.Number(p.TargetBacklogPerTask),
		ScaleOutCooldown: awscdk.Duration_Seconds(jsii.Number(60)),
		ScaleInCooldown:  awscdk.Duration_Seconds(jsii.Number(300)),
	})
	scaling.ScaleOnCpuUtilization(jsii.String("Cpu"), &awsecs.CpuUtilizationScalingProps{
		TargetUtilizationPercent: jsii.Number(p.CpuTargetPercent),
		ScaleOutCooldown:         awscdk.Duration_Seconds(jsii.Number(60)),
		ScaleInCooldown:          awscdk.Duration_Seconds(jsii.Number(300)),
	})
	if p.ScaleToZero {
		w.wakeUp, w.idle = scaleToZero(w, scaling, &p)
	}
	w.service, w.task = service, task
	return w, nil
}

// IdleMinutes is how long a queue that scales to zero must stay empty
// before its last task stops.
const IdleMinutes = 15

// scaleToZero adds the two step scaling policies of a service whose floor
// is zero, each driven by an alarm on the queue metrics function's data
// (one a minute, so a message waits about a minute for the wake-up alarm,
// plus the task's start):
//   - WakeUp sets the capacity to exactly 1 when a message waits and no task
//     runs. Exact, not +1: it never lowers a running capacity, because the
//     alarm is in alarm only while none runs; repeated while the first task
//     starts, it changes nothing.
//   - Idle sets the capacity to exactly 0 when the queue has been empty for
//     IdleMinutes in a row. Missing data (the function failed) keeps the
//     tasks running.
//
// Between the two, target tracking scales on the backlog per task as usual.
func scaleToZero(scope constructs.Construct, scaling awsecs.ScalableTaskCount, p *Props) (wakeUp, idle awscloudwatch.Alarm) {
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	waiting := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("IF(depth > 0 AND tasks == 0, 1, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"depth": p.QueueDepth.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: minute}),
			"tasks": p.RunningTasks.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Minimum"), Period: minute}),
		},
		Label:  jsii.String("Messages waiting with no task running"),
		Period: minute,
	})
	wakeUp = setCapacityOnAlarm(scope, "WakeUp", scaling, &awsapplicationautoscaling.AdjustmentTier{Adjustment: jsii.Number(1), LowerBound: jsii.Number(0)},
		&awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String("Starts a worker for queue " + p.Queue + ": messages wait and no task runs"),
			Metric:             waiting,
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	idle = setCapacityOnAlarm(scope, "Idle", scaling, &awsapplicationautoscaling.AdjustmentTier{Adjustment: jsii.Number(0), UpperBound: jsii.Number(0)},
		&awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(fmt.Sprintf("Stops the workers of queue %s: empty for %d minutes", p.Queue, IdleMinutes)),
			Metric:             p.QueueDepth.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: minute}),
			Threshold:          jsii.Number(0),
			ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(IdleMinutes),
			DatapointsToAlarm:  jsii.Number(IdleMinutes),
			TreatMissingData:   awscloudwatch.TreatMissingData_MISSING,
		})
	return wakeUp, idle
}

// setCapacityOnAlarm creates the step scaling policy id, which sets the
// capacity to exactly tier's adjustment, and the alarm (alarm, named
// id+"Alarm") that runs it.
func setCapacityOnAlarm(scope constructs.Construct, id string, scaling awsecs.ScalableTaskCount,
	tier *awsapplicationautoscaling.AdjustmentTier, alarm *awscloudwatch.AlarmProps) awscloudwatch.Alarm {
	action := awsapplicationautoscaling.NewStepScalingAction(scope, jsii.String(id), &awsapplicationautoscaling.StepScalingActionProps{
		ScalingTarget:         scalableTarget(scaling),
		AdjustmentType:        awsapplicationautoscaling.AdjustmentType_EXACT_CAPACITY,
		MetricAggregationType: awsapplicationautoscaling.MetricAggregationType_MAXIMUM,
		Cooldown:              awscdk.Duration_Minutes(jsii.Number(1)),
	})
	action.AddAdjustment(tier)
	a := awscloudwatch.NewAlarm(scope, jsii.String(id+"Alarm"), alarm)
	a.AddAlarmAction(awscloudwatchactions.NewApplicationScalingAction(action))
	return a
}

// scalableTarget is the Application Auto Scaling target behind scaling.
func scalableTarget(scaling awsecs.ScalableTaskCount) awsapplicationautoscaling.IScalableTarget {
	return scaling.Node().FindChild(jsii.String("Target")).(awsapplicationautoscaling.ScalableTarget)
}

// WakeUpAlarm and IdleAlarm return the alarms of the scale-to-zero
// policies (nil without ScaleToZero).
func (w *Worker) WakeUpAlarm() awscloudwatch.Alarm { return w.wakeUp }

// IdleAlarm returns the alarm that stops the last task (see WakeUpAlarm).
func (w *Worker) IdleAlarm() awscloudwatch.Alarm { return w.idle }

// Service returns the ECS service.
func (w *Worker) Service() awsecs.FargateService { return w.service }

// Task returns the task definition and its container.
func (w *Worker) Task() *apptask.AppTask { return w.task }

// MaxHealthyPercent of the desired count may run during a rolling deploy:
// new workers start before old ones finish their tasks and stop.
const MaxHealthyPercent = 200

// DefaultCommand is the worker command for queue: warm shutdown on SIGTERM
// is Celery's default; a hostname per queue tells workers apart.
func DefaultCommand(celeryApp, queue string, concurrency int) []string {
	return []string{"celery", "-A", celeryApp, "worker", "--loglevel=INFO",
		"--queues=" + queue, fmt.Sprintf("--concurrency=%d", concurrency), "--hostname=" + queue + "@%h"}
}

// CheckQueue reports whether queue is a usable Celery queue name.
func CheckQueue(queue string) error {
	if !queuePattern.MatchString(queue) {
		return fmt.Errorf("%q is not a queue name (letters, digits, _ . -; up to 63)", queue)
	}
	return nil
}

func (props *Props) withDefaults() Props {
	var p Props
	if props != nil {
		p = *props
	}
	if p.Concurrency == 0 {
		p.Concurrency = 4
	}
	if p.CeleryApp == "" {
		p.CeleryApp = "config.celery_app"
	}
	if len(p.Task.Command) == 0 {
		p.Task.Command = DefaultCommand(p.CeleryApp, p.Queue, p.Concurrency)
	}
	if p.Task.StopTimeoutSeconds == 0 {
		p.Task.StopTimeoutSeconds = apptask.MaxStopTimeoutSeconds
	}
	if p.TargetBacklogPerTask == 0 {
		p.TargetBacklogPerTask = 2 * p.Concurrency
	}
	if p.CpuTargetPercent == 0 {
		p.CpuTargetPercent = 70
	}
	if p.MinTasks == 0 && !p.ScaleToZero {
		p.MinTasks = 1
	}
	if p.MaxTasks == 0 {
		p.MaxTasks = max(4, p.MinTasks)
	}
	if p.Subnets == nil {
		p.Subnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}
	}
	return p
}

// MaxTasksLimit is the most tasks MinTasks and MaxTasks may ask for.
const MaxTasksLimit = 1000

// Validate applies the defaults and checks every field a caller sets from
// plain values, the nested Task's (but its Image) included. It leaves out
// what only a stack can supply (Cluster, BacklogPerTask, Task.Image), which
// New checks too. Each problem is a *propserr.FieldError whose Field is
// relative to Props ("Concurrency", "Task.StopTimeoutSeconds").
func (props *Props) Validate() error {
	p := props.withDefaults()
	return errors.Join(p.valueProblems()...)
}

// problems lists every invalid field of p (defaults applied).
func (p *Props) problems() []error {
	var l propserr.List
	if p.Cluster == nil {
		l.Add("celeryworker.Props.Cluster", "required")
	}
	if p.BacklogPerTask == nil {
		l.Add("celeryworker.Props.BacklogPerTask", "required (the metric the workers scale on)")
	}
	if p.Task.Image == nil {
		l.Add("celeryworker.Props.Task.Image", "required")
	}
	if p.ScaleToZero && (p.QueueDepth == nil || p.RunningTasks == nil) {
		l.Add("celeryworker.Props.QueueDepth", "required with ScaleToZero, as is RunningTasks (the metrics that wake the service from zero)")
	}
	return append(l, p.valueProblems()...)
}

// valueProblems lists the invalid fields that Validate checks.
func (p *Props) valueProblems() []error {
	var l propserr.List
	l.Check("celeryworker.Props.Queue", CheckQueue(p.Queue))
	if p.Concurrency < 1 || p.Concurrency > 256 {
		l.Add("celeryworker.Props.Concurrency", "%d is outside 1 to 256 (tasks at once per worker task)", p.Concurrency)
	}
	switch {
	case p.ScaleToZero && p.MinTasks != 0:
		l.Add("celeryworker.Props.MinTasks", "%d with ScaleToZero; a service that scales to zero has a floor of 0", p.MinTasks)
	case p.MinTasks < 0 || p.MinTasks > MaxTasksLimit:
		l.Add("celeryworker.Props.MinTasks", "%d is outside 0 to %d (0 scales to zero while the queue is empty, with ScaleToZero)", p.MinTasks, MaxTasksLimit)
	}
	if p.MaxTasks < max(p.MinTasks, 1) || p.MaxTasks > MaxTasksLimit {
		l.Add("celeryworker.Props.MaxTasks", "%d is outside MinTasks (%d) to %d", p.MaxTasks, p.MinTasks, MaxTasksLimit)
	}
	if p.TargetBacklogPerTask < 1 || p.TargetBacklogPerTask > 100000 {
		l.Add("celeryworker.Props.TargetBacklogPerTask", "%d is outside 1 to 100000 (0 means twice the concurrency)", p.TargetBacklogPerTask)
	}
	if p.CpuTargetPercent < 10 || p.CpuTargetPercent > 90 {
		l.Add("celeryworker.Props.CpuTargetPercent", "%d is outside 10 to 90 (percent)", p.CpuTargetPercent)
	}
	return append(l, apptask.ValueProblems(&p.Task, "celeryworker.Props.Task")...)
}
