package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/djangocdk/djangocdk/constructs/apptask"
)

// Exit statuses of run besides the container's own: djangocdk could not
// run the task (as docker run's 125), the task outlived --timeout (as
// timeout(1)), or the command was interrupted.
const (
	exitRunFailed   = 125
	exitTimedOut    = 124
	exitInterrupted = 130
)

// runStartedBy marks the one-off tasks that djangocdk run starts.
const runStartedBy = "djangocdk-run"

// runResult is what run --json prints.
type runResult struct {
	TaskArn       string `json:"taskArn"`
	Image         string `json:"image"`
	LogGroup      string `json:"logGroup"`
	LogStream     string `json:"logStream"`
	ExitCode      *int32 `json:"exitCode,omitempty"`
	StoppedReason string `json:"stoppedReason,omitempty"`
}

// run starts a one-off task from the released image with the migration
// task's definition, subnets and security group, and the given command;
// with --wait it streams the container's log and returns its exit code.
func (a *app) run(ctx context.Context, fs *flag.FlagSet, args []string) error {
	wait := fs.Bool("wait", false, "stream the task's log and exit with its container's exit code")
	timeout := fs.Duration("timeout", 0, "with --wait, stop the task after this long (default: pipeline.taskTimeoutMinutes)")
	asJSON := fs.Bool("json", false, "print the task (and with --wait its exit code) as JSON; the log goes to stderr")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: djangocdk run -e ENV [--wait] [--timeout D] [--json] -- python manage.py ARGS")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	command := fs.Args()
	if len(command) == 0 {
		fs.Usage()
		return &exitError{2, errors.New("run: give the command after --, e.g. djangocdk run -e staging --wait -- python manage.py showmigrations")}
	}
	if err := a.connect(ctx); err != nil {
		return failed(err)
	}
	if *timeout <= 0 {
		*timeout = time.Duration(a.cfg.Pipeline.TaskTimeoutMinutes) * time.Minute
	}

	tag, err := a.imageTag(ctx)
	if err != nil {
		return failed(err)
	}
	project, settings, err := a.releaseProject(ctx)
	if err != nil {
		return failed(err)
	}
	image := settings["REPOSITORY_URI"] + ":" + tag
	definition, logs, err := a.migrationDefinition(ctx, settings["MIGRATE_FAMILY"], image)
	if err != nil {
		return failed(err)
	}
	cluster := settings["CLUSTER"]
	started, err := a.aws.ECS.RunTask(ctx, &ecs.RunTaskInput{
		Cluster:        aws.String(cluster),
		TaskDefinition: aws.String(definition),
		LaunchType:     ecstypes.LaunchTypeFargate,
		Count:          aws.Int32(1),
		StartedBy:      aws.String(runStartedBy),
		Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{
			{Name: aws.String(apptask.ContainerName), Command: command},
		}},
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets:        strings.Split(settings["SUBNETS"], ","),
			SecurityGroups: []string{settings["SECURITY_GROUP"]},
			AssignPublicIp: assignPublicIP(settings),
		}},
	})
	if err != nil {
		return failed(a.explain(err, "starting the task in cluster "+cluster))
	}
	if len(started.Tasks) == 0 {
		reason := "no reason given"
		if len(started.Failures) > 0 {
			f := started.Failures[0]
			reason = strings.TrimSpace(aws.ToString(f.Reason) + " " + aws.ToString(f.Detail))
		}
		return failed(fmt.Errorf("the task did not start: %s", reason))
	}
	task := aws.ToString(started.Tasks[0].TaskArn)
	result := runResult{TaskArn: task, Image: image, LogGroup: logs.group, LogStream: logs.stream(taskID(task))}
	fmt.Fprintf(a.errw, "started %s (%s, the settings of %s's migrations)\n", task, image, project)
	if !*wait {
		if *asJSON {
			return a.printJSON(result)
		}
		fmt.Fprintf(a.out, "%s\nfollow: djangocdk logs -e %s --service migrate --follow\nstop:   aws ecs stop-task --cluster %s --task %s\n",
			task, a.cfg.Env, cluster, task)
		return nil
	}

	logOut := a.out
	if *asJSON {
		logOut = a.errw
	}
	code, reason, err := a.waitTask(ctx, cluster, task, *timeout, &streamReader{logs: a.aws.Logs, group: logs.group, stream: result.LogStream}, logOut)
	if err != nil {
		return err
	}
	result.ExitCode, result.StoppedReason = code, reason
	if *asJSON {
		if err := a.printJSON(result); err != nil {
			return err
		}
	}
	if code == nil {
		return failed(fmt.Errorf("%s stopped before its container %s ran: %s", task, apptask.ContainerName, reason))
	}
	fmt.Fprintf(a.errw, "%s exited %d\n", apptask.ContainerName, *code)
	if *code != 0 {
		return &exitError{int(*code), nil}
	}
	return nil
}

// failed marks an error of djangocdk itself, not of the task.
func failed(err error) error {
	var exit *exitError
	if errors.As(err, &exit) {
		return err
	}
	return &exitError{exitRunFailed, err}
}

// migrationDefinition returns the ARN of the newest revision of family
// when its Django container runs image, or else registers a revision that
// does (as the release does), and where its Django container logs.
func (a *app) migrationDefinition(ctx context.Context, family, image string) (string, logTarget, error) {
	td, err := a.taskDefinition(ctx, family)
	if err != nil {
		return "", logTarget{}, err
	}
	logs, err := containerLogs(td)
	if err != nil {
		return "", logs, err
	}
	c, _ := djangoContainer(td)
	if aws.ToString(c.Image) == image {
		return aws.ToString(td.TaskDefinitionArn), logs, nil
	}
	c.Image = aws.String(image)
	registered, err := a.aws.ECS.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: td.Family, TaskRoleArn: td.TaskRoleArn, ExecutionRoleArn: td.ExecutionRoleArn,
		NetworkMode: td.NetworkMode, ContainerDefinitions: td.ContainerDefinitions, Volumes: td.Volumes,
		RequiresCompatibilities: td.RequiresCompatibilities, Cpu: td.Cpu, Memory: td.Memory,
		RuntimePlatform: td.RuntimePlatform, EphemeralStorage: td.EphemeralStorage,
	})
	if err != nil {
		return "", logs, a.explain(err, "registering a revision of "+family+" with "+image)
	}
	arn := aws.ToString(registered.TaskDefinition.TaskDefinitionArn)
	fmt.Fprintf(a.errw, "registered %s with %s\n", arn, image)
	return arn, logs, nil
}

// waitTask streams the task's log to w until the task stops, and returns
// its Django container's exit code (nil when it never ran) and why it
// stopped. When ctx ends (an interrupt) or timeout passes first, it stops
// the task.
func (a *app) waitTask(ctx context.Context, cluster, task string, timeout time.Duration, log *streamReader, w io.Writer) (*int32, string, error) {
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	status := ""
	for {
		out, err := a.aws.ECS.DescribeTasks(waitCtx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{task}})
		a.printLog(waitCtx, log, w)
		switch {
		case waitCtx.Err() != nil:
			return nil, "", a.stopTask(cluster, task, ctx.Err() != nil, timeout)
		case err != nil:
			fmt.Fprintf(a.errw, "describing %s failed (%v); asking again\n", task, err)
		case len(out.Tasks) == 0:
			return nil, "", failed(fmt.Errorf("the task %s is gone from cluster %s", task, cluster))
		default:
			t := out.Tasks[0]
			if s := aws.ToString(t.LastStatus); s != status {
				status = s
				fmt.Fprintf(a.errw, "task %s: %s\n", taskID(task), s)
			}
			if status == "STOPPED" {
				// The last lines may reach CloudWatch after the task stopped.
				a.printLog(ctx, log, w)
				for _, c := range t.Containers {
					if aws.ToString(c.Name) == apptask.ContainerName {
						return c.ExitCode, aws.ToString(t.StoppedReason), nil
					}
				}
				return nil, aws.ToString(t.StoppedReason), nil
			}
		}
		sleep(waitCtx, a.poll)
	}
}

// printLog prints the stream's new events.
func (a *app) printLog(ctx context.Context, log *streamReader, w io.Writer) {
	events, err := log.next(ctx)
	for _, e := range events {
		fmt.Fprintln(w, aws.ToString(e.Message))
	}
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(a.errw, "reading the log %s failed: %v\n", log.stream, err)
	}
}

// stopTask stops a task that outlived the wait, and returns the error
// that says why.
func (a *app) stopTask(cluster, task string, interrupted bool, timeout time.Duration) error {
	reason, code := fmt.Sprintf("djangocdk run: timed out after %s", timeout), exitTimedOut
	if interrupted {
		reason, code = "djangocdk run: interrupted", exitInterrupted
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := a.aws.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(task), Reason: aws.String(reason)}); err != nil {
		return &exitError{code, fmt.Errorf("%s; stopping %s failed too (%v): stop it with aws ecs stop-task --cluster %s --task %s", reason, task, err, cluster, task)}
	}
	return &exitError{code, fmt.Errorf("%s; stopped %s", reason, task)}
}

// assignPublicIP is the release project's ASSIGN_PUBLIC_IP: ENABLED when
// its SUBNETS are public subnets (network.nat "none"), where a task without
// a public IP could not pull its image.
func assignPublicIP(settings map[string]string) ecstypes.AssignPublicIp {
	if settings["ASSIGN_PUBLIC_IP"] == string(ecstypes.AssignPublicIpEnabled) {
		return ecstypes.AssignPublicIpEnabled
	}
	return ecstypes.AssignPublicIpDisabled
}
