package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/stacks"
)

// releaseProject returns the name of the environment's release CodeBuild
// project (the pipeline's Release step) and its environment variables:
// the cluster, subnets, security group and families the release uses.
func (a *app) releaseProject(ctx context.Context) (string, map[string]string, error) {
	name := a.cfg.StackName("release")
	out, err := a.aws.CodeBuild.BatchGetProjects(ctx, &codebuild.BatchGetProjectsInput{Names: []string{name}})
	if err != nil {
		return "", nil, a.explain(err, "reading the release project "+name)
	}
	if len(out.Projects) == 0 {
		return "", nil, fmt.Errorf("CodeBuild project %s not found in account %s, %s: environment %s is not deployed (stack %s); deploy it with npx cdk deploy --all -c env=%s",
			name, a.cfg.Account, a.cfg.Region, a.cfg.Env, a.cfg.StackName(stacks.PipelineLayer), a.cfg.Env)
	}
	vars := map[string]string{}
	if e := out.Projects[0].Environment; e != nil {
		for _, v := range e.EnvironmentVariables {
			vars[aws.ToString(v.Name)] = aws.ToString(v.Value)
		}
	}
	for _, key := range []string{"CLUSTER", "SUBNETS", "SECURITY_GROUP", "MIGRATE_FAMILY", "REPOSITORY_URI"} {
		if vars[key] == "" {
			return "", nil, fmt.Errorf("the release project %s has no %s variable: deploy the current %s stack (npx cdk deploy %s -c env=%s)",
				name, key, a.cfg.StackName(stacks.PipelineLayer), a.cfg.StackName(stacks.PipelineLayer), a.cfg.Env)
		}
	}
	return name, vars, nil
}

// taskDefinition describes a task definition (a family, family:revision or ARN).
func (a *app) taskDefinition(ctx context.Context, ref string) (*ecstypes.TaskDefinition, error) {
	out, err := a.aws.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
	if err != nil {
		return nil, a.explain(err, "reading the task definition "+ref)
	}
	return out.TaskDefinition, nil
}

// djangoContainer returns the Django container of a task definition.
func djangoContainer(td *ecstypes.TaskDefinition) (*ecstypes.ContainerDefinition, error) {
	for i := range td.ContainerDefinitions {
		if aws.ToString(td.ContainerDefinitions[i].Name) == apptask.ContainerName {
			return &td.ContainerDefinitions[i], nil
		}
	}
	return nil, fmt.Errorf("the task definition %s has no container %s", aws.ToString(td.TaskDefinitionArn), apptask.ContainerName)
}

// logTarget is where a task's Django container logs: its awslogs group,
// and the stream of task id.
type logTarget struct {
	group, prefix string
}

func (l logTarget) stream(taskID string) string {
	return l.prefix + "/" + apptask.ContainerName + "/" + taskID
}

// containerLogs returns the log group and stream prefix of the Django
// container of td.
func containerLogs(td *ecstypes.TaskDefinition) (logTarget, error) {
	c, err := djangoContainer(td)
	if err != nil {
		return logTarget{}, err
	}
	if c.LogConfiguration == nil || c.LogConfiguration.LogDriver != ecstypes.LogDriverAwslogs || c.LogConfiguration.Options["awslogs-group"] == "" {
		return logTarget{}, fmt.Errorf("the container %s of %s does not log to CloudWatch Logs (awslogs)", apptask.ContainerName, aws.ToString(td.TaskDefinitionArn))
	}
	o := c.LogConfiguration.Options
	return logTarget{group: o["awslogs-group"], prefix: o["awslogs-stream-prefix"]}, nil
}

// imageTagOf returns the tag of an image URI (repository:tag), or "" when
// it has none.
func imageTagOf(image string) string {
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		return image[colon+1:]
	}
	return ""
}

// taskID returns the last element of a task ARN.
func taskID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// streamReader follows one log stream from its start, forward.
type streamReader struct {
	logs          Logs
	group, stream string
	token         *string
}

// next returns the events written since the last call; none while the
// stream does not exist yet.
func (r *streamReader) next(ctx context.Context) ([]logstypes.OutputLogEvent, error) {
	var events []logstypes.OutputLogEvent
	for {
		out, err := r.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String(r.group), LogStreamName: aws.String(r.stream),
			StartFromHead: aws.Bool(true), NextToken: r.token,
		})
		if err != nil {
			var missing *logstypes.ResourceNotFoundException
			if errors.As(err, &missing) {
				return events, nil
			}
			return events, err
		}
		events = append(events, out.Events...)
		// The same token back means the end of the stream for now.
		same := r.token != nil && aws.ToString(out.NextForwardToken) == *r.token
		r.token = out.NextForwardToken
		if same || len(out.Events) == 0 {
			return events, nil
		}
	}
}
