// Package celerybeat provides the ECS service of Celery beat, the scheduler.
// Exactly one beat may run, ever: two would send every periodic task twice
// (celery#4808). The service has one task, is never autoscaled, and deploys
// by stopping the old task before starting the new one (minimum healthy 0%,
// maximum 100%).
package celerybeat

import (
	"path"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
)

// Props configures a Beat.
type Props struct {
	// Cluster to run in. Required.
	Cluster awsecs.ICluster
	// CeleryApp is the -A argument of the default command.
	// Default: "config.celery_app".
	CeleryApp string
	// Task is the Django container (Image required; see apptask.Props for
	// the other fields' defaults). Default: Command DefaultCommand(CeleryApp),
	// Cpu 256, MemoryMiB 512. A Command of your own must keep beat's
	// schedule file in a writable path (see ScheduleFile).
	Task apptask.Props
	// SecurityGroup of the task. Default: a new one.
	SecurityGroup awsec2.ISecurityGroup
	// Subnets of the task. Default: the private subnets with egress.
	Subnets *awsec2.SubnetSelection
	// AssignPublicIp gives the task a public IP, for Subnets that are
	// public subnets (a network without NAT). Default: false.
	AssignPublicIp bool
	// Spot runs the task on Fargate Spot (70% cheaper). An interruption
	// stops the scheduler for the minute or two its replacement takes to
	// start; it never runs twice. For non-production. Default: false.
	Spot bool
	// RunCondition holds the service at zero tasks while false. Default: always run.
	RunCondition awscdk.CfnCondition
}

// ScheduleFile is where the default command keeps beat's schedule (the
// last run of each periodic task, when the scheduler is Celery's own
// PersistentScheduler): in /tmp, one of apptask.DefaultWritablePaths,
// since the root filesystem is read-only. Celery's default,
// ./celerybeat-schedule, is in the image's working directory.
// django-celery-beat's DatabaseScheduler ignores it.
const ScheduleFile = "/tmp/celerybeat-schedule"

// DefaultCommand is beat's command unless Props.Task.Command is set.
func DefaultCommand(celeryApp string) []string {
	return []string{"celery", "-A", celeryApp, "beat", "--loglevel=INFO", "--schedule=" + ScheduleFile}
}

// Beat is the Celery beat service. It is a construct: the task ("Task")
// and the service ("Service") are its children.
type Beat struct {
	constructs.Construct
	service awsecs.FargateService
	task    *apptask.AppTask
}

// New creates a Beat under scope, or returns an error before creating
// anything: every invalid field of props, each on a line that starts with
// the construct's path ("Compute/Beat: celerybeat.Props.Cluster: required").
func New(scope constructs.Construct, id string, props *Props) (*Beat, error) {
	p := props.withDefaults()
	if err := propserr.At(scope, id, p.problems()); err != nil {
		return nil, err
	}
	b := &Beat{}
	constructs.NewConstruct_Override(b, scope, jsii.String(id))
	task, err := apptask.New(b, "Task", &p.Task)
	if err != nil {
		return nil, err
	}
	serviceProps := &awsecs.FargateServiceProps{
		Cluster:        p.Cluster,
		TaskDefinition: task.TaskDefinition(),
		VpcSubnets:     p.Subnets,
		AssignPublicIp: jsii.Bool(p.AssignPublicIp),
		DesiredCount:   apptask.ScaleGate(p.RunCondition, 1),
		// Stop the old scheduler before the new one starts.
		MinHealthyPercent: jsii.Number(0),
		MaxHealthyPercent: jsii.Number(100),
		CircuitBreaker:    &awsecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)},
	}
	if p.SecurityGroup != nil {
		serviceProps.SecurityGroups = &[]awsec2.ISecurityGroup{p.SecurityGroup}
	}
	if p.Spot {
		serviceProps.CapacityProviderStrategies = apptask.CapacityStrategy(true)
	}
	b.service = awsecs.NewFargateService(b, jsii.String("Service"), serviceProps)
	if p.Spot {
		apptask.DependOnCapacityProviders(b.service, p.Cluster)
	}
	b.task = task
	return b, nil
}

// Service returns the ECS service. Do not autoscale it.
func (b *Beat) Service() awsecs.FargateService { return b.service }

// Task returns the task definition and its container.
func (b *Beat) Task() *apptask.AppTask { return b.task }

func (props *Props) withDefaults() Props {
	var p Props
	if props != nil {
		p = *props
	}
	if p.CeleryApp == "" {
		p.CeleryApp = "config.celery_app"
	}
	if len(p.Task.Command) == 0 {
		p.Task.Command = DefaultCommand(p.CeleryApp)
	}
	if p.Task.Cpu == 0 {
		p.Task.Cpu = 256
	}
	if p.Task.MemoryMiB == 0 {
		p.Task.MemoryMiB = 512
	}
	if p.Subnets == nil {
		p.Subnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}
	}
	return p
}

// problems lists every invalid field of p (defaults applied).
func (p *Props) problems() []error {
	var l propserr.List
	if p.Cluster == nil {
		l.Add("celerybeat.Props.Cluster", "required")
	}
	paths := p.Task.WritablePaths
	if paths == nil {
		paths = apptask.DefaultWritablePaths
	}
	if slices.Equal(p.Task.Command, DefaultCommand(p.CeleryApp)) && !p.Task.WritableRootFilesystem && !slices.Contains(paths, path.Dir(ScheduleFile)) {
		l.Add("celerybeat.Props.Task.WritablePaths", "%q lacks %s, where the default command keeps the schedule (%s)", paths, path.Dir(ScheduleFile), ScheduleFile)
	}
	return append(l, apptask.Problems(&p.Task, "celerybeat.Props.Task")...)
}
