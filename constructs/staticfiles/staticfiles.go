// Package staticfiles provides the one-off task that publishes a Django
// app's static files: "manage.py collectstatic" from the release's image,
// run once per release before the services update, with the only write
// access to the static bucket. Web tasks then only read: a start script
// that runs collectstatic on every task start would need write access in
// every web task and upload the same files again on each scale-out.
package staticfiles

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
)

// DefaultCommand is the command the task runs unless Props.Task.Command is set.
var DefaultCommand = []string{"python", "manage.py", "collectstatic", "--noinput"}

// Props configures a Publisher.
type Props struct {
	// Task is the Django container (Image required; see apptask.Props for
	// the other fields' defaults). Command: Default: DefaultCommand.
	// TaskRole must be empty: the task gets a role of its own, the only one
	// that may write Bucket.
	Task apptask.Props
	// Bucket receives the static files (django-storages' S3 storage). Required.
	Bucket awss3.IBucket
}

// Publisher is the collectstatic task definition and its role. It is a
// construct: the role ("TaskRole") and the task ("Task") are its children.
type Publisher struct {
	constructs.Construct
	task *apptask.AppTask
	role awsiam.Role
}

// New creates a Publisher under scope, or returns an error before creating
// anything: every invalid field of props, each on a line that starts with
// the construct's path ("Compute/StaticFiles: staticfiles.Props.Bucket:
// required").
func New(scope constructs.Construct, id string, props *Props) (*Publisher, error) {
	p := props.withDefaults()
	if err := propserr.At(scope, id, p.problems()); err != nil {
		return nil, err
	}
	s := &Publisher{}
	constructs.NewConstruct_Override(s, scope, jsii.String(id))
	role := awsiam.NewRole(s, jsii.String("TaskRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
		Description: jsii.String("collectstatic: reads and writes the static bucket, nothing else"),
	})
	// collectstatic reads what is there (exists, modified time, the
	// manifest) and puts what changed; it deletes nothing without --clear.
	p.Bucket.GrantRead(role, nil)
	p.Bucket.GrantPut(role, nil)
	p.Task.TaskRole = role
	task, err := apptask.New(s, "Task", &p.Task)
	if err != nil {
		return nil, err
	}
	s.task, s.role = task, role
	return s, nil
}

// Task returns the task definition and its container.
func (s *Publisher) Task() *apptask.AppTask { return s.task }

// Role returns the task role, the one writer of the bucket.
func (s *Publisher) Role() awsiam.IRole { return s.role }

func (props *Props) withDefaults() Props {
	var p Props
	if props != nil {
		p = *props
	}
	if len(p.Task.Command) == 0 {
		p.Task.Command = DefaultCommand
	}
	return p
}

// problems lists every invalid field of p (defaults applied).
func (p *Props) problems() []error {
	var l propserr.List
	if p.Bucket == nil {
		l.Add("staticfiles.Props.Bucket", "required")
	}
	if p.Task.TaskRole != nil {
		l.Add("staticfiles.Props.Task.TaskRole", "leave empty; the task gets its own role, the only writer of the bucket")
	}
	return append(l, apptask.Problems(&p.Task, "staticfiles.Props.Task")...)
}
