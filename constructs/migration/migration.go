// Package migration provides the one-off task that runs Django's
// migrations: the app's image and settings, "manage.py migrate", run by no
// service. Migrations run once per release, before the services update, never
// in a web container's command, where every scale-out would run them again.
package migration

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
)

// Props configures a Migration.
type Props struct {
	// Cluster the task runs in. Required.
	Cluster awsecs.ICluster
	// Vpc holds Subnets. Required.
	Vpc awsec2.IVpc
	// Task is the Django container; Command defaults to
	// ["python", "manage.py", "migrate", "--noinput"].
	Task apptask.Props
	// SecurityGroup the task runs with. Required: the database must accept it.
	SecurityGroup awsec2.ISecurityGroup
	// Subnets the task runs in. Default: the private subnets with egress.
	Subnets *awsec2.SubnetSelection
}

// Migration is the migration task definition and how to run it.
type Migration struct {
	task    *apptask.AppTask
	command *string
}

// New creates a Migration under scope, or returns an error naming the first
// invalid field of props before creating anything.
func New(scope constructs.Construct, id string, props *Props) (*Migration, error) {
	p, err := props.withDefaults()
	if err != nil {
		return nil, err
	}
	construct := constructs.NewConstruct(scope, jsii.String(id))
	task, err := apptask.New(construct, "Task", &p.Task)
	if err != nil {
		return nil, err
	}
	subnets := p.Vpc.SelectSubnets(p.Subnets).SubnetIds
	// The exact command: start the task, wait for it to stop, print its
	// exit code and fail unless it is 0.
	command := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("ARN=$(aws ecs run-task --cluster "), p.Cluster.ClusterName(),
		jsii.String(" --task-definition "), task.TaskDefinition().Family(),
		jsii.String(" --launch-type FARGATE --started-by manual-migration --network-configuration 'awsvpcConfiguration={subnets=["),
		awscdk.Fn_Join(jsii.String(","), subnets),
		jsii.String("],securityGroups=["), p.SecurityGroup.SecurityGroupId(),
		// Poll rather than "aws ecs wait tasks-stopped", which gives up after 10 minutes.
		jsii.String("],assignPublicIp=DISABLED}' --query 'tasks[0].taskArn' --output text) && until [ \"$(aws ecs describe-tasks --cluster "),
		p.Cluster.ClusterName(),
		jsii.String(" --tasks $ARN --query 'tasks[0].lastStatus' --output text)\" = STOPPED ]; do sleep 10; done && CODE=$(aws ecs describe-tasks --cluster "), p.Cluster.ClusterName(),
		jsii.String(" --tasks $ARN --query 'tasks[0].containers[?name==`" + apptask.ContainerName + "`].exitCode' --output text) && echo \"migrate exited with $CODE\" && test \"$CODE\" = 0"),
	})
	return &Migration{task: task, command: command}, nil
}

// Task returns the task definition and its container.
func (m *Migration) Task() *apptask.AppTask { return m.task }

// RunTaskCommand is a shell command that runs the migrations once, waits for
// them and fails unless they succeeded.
func (m *Migration) RunTaskCommand() *string { return m.command }

// RunsMigrations reports whether command runs Django's migrate command:
// only the migration task may.
func RunsMigrations(command []string) bool {
	words := strings.FieldsFunc(strings.Join(command, " "), func(r rune) bool {
		return strings.ContainsRune(" \t\n'\"&;|()`", r) // shell word separators
	})
	for _, word := range words {
		if word == "migrate" {
			return true
		}
	}
	return false
}

func (props *Props) withDefaults() (Props, error) {
	var p Props
	if props != nil {
		p = *props
	}
	if len(p.Task.Command) == 0 {
		p.Task.Command = []string{"python", "manage.py", "migrate", "--noinput"}
	}
	if p.Subnets == nil {
		p.Subnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}
	}
	switch {
	case p.Cluster == nil:
		return p, fmt.Errorf("migration.Props.Cluster: required")
	case p.Vpc == nil:
		return p, fmt.Errorf("migration.Props.Vpc: required")
	case p.SecurityGroup == nil:
		return p, fmt.Errorf("migration.Props.SecurityGroup: required")
	}
	return p, nil
}
