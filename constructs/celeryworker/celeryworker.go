// Package celeryworker provides the ECS service of the Celery workers of one
// queue: no load balancer, scaled on the queue's backlog per task (with CPU
// as a second signal), stopped with Celery's warm shutdown, optionally on
// Fargate Spot.
package celeryworker

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
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
	// MinTasks and MaxTasks bound autoscaling (at least one task: target
	// tracking does not scale out from zero). Default: 1 and 4.
	MinTasks, MaxTasks int
	// Spot runs the tasks on Fargate Spot (up to 70% cheaper; tasks may be
	// stopped with a two-minute warning). Default: false.
	Spot bool
	// SecurityGroup of the tasks. Default: a new one.
	SecurityGroup awsec2.ISecurityGroup
	// Subnets of the tasks. Default: the private subnets with egress.
	Subnets *awsec2.SubnetSelection
	// RunCondition holds the service at zero tasks while false. Default: always run.
	RunCondition awscdk.CfnCondition
}

// Worker is the service of one queue's workers. It is a construct: the
// task ("Task") and the service ("Service") are its children.
type Worker struct {
	constructs.Construct
	service awsecs.FargateService
	task    *apptask.AppTask
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
	capacity := "FARGATE"
	if p.Spot {
		capacity = "FARGATE_SPOT"
	}
	serviceProps := &awsecs.FargateServiceProps{
		Cluster:           p.Cluster,
		TaskDefinition:    task.TaskDefinition(),
		VpcSubnets:        p.Subnets,
		DesiredCount:      apptask.DesiredGate(p.RunCondition),
		MinHealthyPercent: jsii.Number(100),
		MaxHealthyPercent: jsii.Number(MaxHealthyPercent),
		CircuitBreaker:    &awsecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)},
		CapacityProviderStrategies: &[]*awsecs.CapacityProviderStrategy{
			{CapacityProvider: jsii.String(capacity), Weight: jsii.Number(1)},
		},
	}
	if p.SecurityGroup != nil {
		serviceProps.SecurityGroups = &[]awsec2.ISecurityGroup{p.SecurityGroup}
	}
	service := awsecs.NewFargateService(w, jsii.String("Service"), serviceProps)
	dependOnCapacityProviders(service, p.Cluster)

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
	w.service, w.task = service, task
	return w, nil
}

// Service returns the ECS service.
func (w *Worker) Service() awsecs.FargateService { return w.service }

// Task returns the task definition and its container.
func (w *Worker) Task() *apptask.AppTask { return w.task }

// dependOnCapacityProviders makes service, which names a capacity provider,
// wait for the cluster's capacity provider association: without the
// dependency CloudFormation may create the service first (and fail) or
// delete the association first on destroy (containers-roadmap#631). The
// cluster creates the association in an aspect at synthesis, so the
// dependency is added by an aspect that runs after it (a read-only
// priority runs after the default one). An imported cluster has no
// association in the stack.
func dependOnCapacityProviders(service awsecs.FargateService, cluster awsecs.ICluster) {
	awscdk.Aspects_Of(service).Add(&associationDependency{service: service, cluster: cluster},
		&awscdk.AspectOptions{Priority: awscdk.AspectPriority_READONLY()})
}

// associationDependency is the aspect of dependOnCapacityProviders.
type associationDependency struct {
	service awsecs.FargateService
	cluster awsecs.ICluster
}

// Visit adds the dependency when it visits the service itself.
func (a *associationDependency) Visit(node constructs.IConstruct) {
	if *node.Node().Path() != *a.service.Node().Path() {
		return
	}
	for _, child := range *a.cluster.Node().Children() {
		if resource, ok := child.(awscdk.CfnResource); ok && *awscdk.CfnResource_IsCfnResource(child) &&
			*resource.CfnResourceType() == "AWS::ECS::ClusterCapacityProviderAssociations" {
			a.service.Node().AddDependency(resource)
		}
	}
}

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
	if p.MinTasks == 0 {
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
	return append(l, p.valueProblems()...)
}

// valueProblems lists the invalid fields that Validate checks.
func (p *Props) valueProblems() []error {
	var l propserr.List
	l.Check("celeryworker.Props.Queue", CheckQueue(p.Queue))
	if p.Concurrency < 1 || p.Concurrency > 256 {
		l.Add("celeryworker.Props.Concurrency", "%d is outside 1 to 256 (tasks at once per worker task)", p.Concurrency)
	}
	if p.MinTasks < 1 || p.MinTasks > MaxTasksLimit {
		l.Add("celeryworker.Props.MinTasks", "%d is outside 1 to %d (at least 1: target tracking cannot scale out from zero)", p.MinTasks, MaxTasksLimit)
	}
	if p.MaxTasks < p.MinTasks || p.MaxTasks > MaxTasksLimit {
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
