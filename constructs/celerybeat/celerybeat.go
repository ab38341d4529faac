// Package celerybeat provides the ECS service of Celery beat, the scheduler.
// Exactly one beat may run, ever: two would send every periodic task twice
// (celery#4808). The service has one task, is never autoscaled, and deploys
// by stopping the old task before starting the new one (minimum healthy 0%,
// maximum 100%).
package celerybeat

import (
	"fmt"
	"path"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
)

// Props configures a Beat.
type Props struct {
	// Cluster to run in. Required.
	Cluster awsecs.ICluster
	// CeleryApp is the -A argument of the default command. Default: "config.celery_app".
	CeleryApp string
	// Task is the Django container; Command defaults to DefaultCommand, Cpu
	// to 256 and MemoryMiB to 512. A Command of your own must keep beat's
	// schedule file in a writable path (see ScheduleFile).
	Task apptask.Props
	// SecurityGroup of the task. Default: a new one.
	SecurityGroup awsec2.ISecurityGroup
	// Subnets of the task. Default: the private subnets with egress.
	Subnets *awsec2.SubnetSelection
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

// Beat is the Celery beat service.
type Beat struct {
	service awsecs.FargateService
	task    *apptask.AppTask
}

// New creates a Beat under scope, or returns an error naming the first
// invalid field of props before creating anything.
func New(scope constructs.Construct, id string, props *Props) (*Beat, error) {
	p, err := props.withDefaults()
	if err != nil {
		return nil, err
	}
	construct := constructs.NewConstruct(scope, jsii.String(id))
	task, err := apptask.New(construct, "Task", &p.Task)
	if err != nil {
		return nil, err
	}
	serviceProps := &awsecs.FargateServiceProps{
		Cluster:        p.Cluster,
		TaskDefinition: task.TaskDefinition(),
		VpcSubnets:     p.Subnets,
		DesiredCount:   apptask.ScaleGate(p.RunCondition, 1),
		// Stop the old scheduler before the new one starts.
		MinHealthyPercent: jsii.Number(0),
		MaxHealthyPercent: jsii.Number(100),
		CircuitBreaker:    &awsecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)},
	}
	if p.SecurityGroup != nil {
		serviceProps.SecurityGroups = &[]awsec2.ISecurityGroup{p.SecurityGroup}
	}
	service := awsecs.NewFargateService(construct, jsii.String("Service"), serviceProps)
	return &Beat{service: service, task: task}, nil
}

// Service returns the ECS service. Do not autoscale it.
func (b *Beat) Service() awsecs.FargateService { return b.service }

// Task returns the task definition and its container.
func (b *Beat) Task() *apptask.AppTask { return b.task }

func (props *Props) withDefaults() (Props, error) {
	var p Props
	if props != nil {
		p = *props
	}
	if p.CeleryApp == "" {
		p.CeleryApp = "config.celery_app"
	}
	if len(p.Task.Command) == 0 {
		p.Task.Command = DefaultCommand(p.CeleryApp)
		paths := p.Task.WritablePaths
		if paths == nil {
			paths = apptask.DefaultWritablePaths
		}
		if !p.Task.WritableRootFilesystem && !slices.Contains(paths, path.Dir(ScheduleFile)) {
			return p, fmt.Errorf("celerybeat.Props.Task.WritablePaths: %q lacks %s, where the default command keeps the schedule (%s)", paths, path.Dir(ScheduleFile), ScheduleFile)
		}
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
	if p.Cluster == nil {
		return p, fmt.Errorf("celerybeat.Props.Cluster: required")
	}
	return p, nil
}
