package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/stacks"
)

// sessionManagerPlugin is the program the AWS CLI runs for ECS Exec.
const sessionManagerPlugin = "session-manager-plugin"

// pluginInstall says where the plugin comes from.
const pluginInstall = "install AWS's Session Manager plugin (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html; " +
	"macOS: brew install --cask session-manager-plugin) and make sure " + sessionManagerPlugin + " is on PATH"

// shell opens an interactive command (manage.py shell) in a running task
// of the web service through ECS Exec, as aws ecs execute-command does:
// the ExecuteCommand call, then the Session Manager plugin with its session.
func (a *app) shell(ctx context.Context, fs *flag.FlagSet, args []string) error {
	service := fs.String("service", "web", "the service whose task to enter (ECS Exec is on the web service only)")
	command := fs.String("command", "python manage.py shell", "the command to run in the container")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := a.connect(ctx); err != nil {
		return err
	}
	if _, err := selectRoles(*service, a.roles(false)); err != nil {
		return err
	}
	envKey := stacks.EnvironmentsKey + "." + a.cfg.Env + ".compute"
	enable := fmt.Sprintf("set %s.executeCommand to true and %s.web.readonlyRootFilesystem to false in cdk.json (ECS Exec's agent needs a writable root filesystem), deploy with npx cdk deploy %s -c env=%s, and turn both back once done",
		envKey, envKey, a.cfg.StackName(stacks.ComputeLayer), a.cfg.Env)
	if *service != "web" {
		return fmt.Errorf("ECS Exec is on the web service only, not %s: use --service web", *service)
	}
	if !a.cfg.Compute.ExecuteCommand {
		return fmt.Errorf("ECS Exec is off in %s (compute.executeCommand is false): %s", a.cfg.Env, enable)
	}
	plugin, err := a.lookPath(sessionManagerPlugin)
	if err != nil {
		return fmt.Errorf("%s not found: %s", sessionManagerPlugin, pluginInstall)
	}
	cluster, err := a.clusterName(ctx)
	if err != nil {
		return err
	}
	name, err := a.serviceName(ctx, *service)
	if err != nil {
		return err
	}
	listed, err := a.aws.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(name), DesiredStatus: ecstypes.DesiredStatusRunning})
	if err != nil {
		return a.explain(err, "listing the tasks of "+name)
	}
	if len(listed.TaskArns) == 0 {
		return fmt.Errorf("no running task in the %s service %s: see djangocdk status -e %s", *service, name, a.cfg.Env)
	}
	described, err := a.aws.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: listed.TaskArns})
	if err != nil {
		return a.explain(err, "describing the tasks of "+name)
	}
	var task *ecstypes.Task
	var runtimeID string
	for i := range described.Tasks {
		t := &described.Tasks[i]
		if !t.EnableExecuteCommand || aws.ToString(t.LastStatus) != "RUNNING" {
			continue
		}
		for _, c := range t.Containers {
			if aws.ToString(c.Name) == apptask.ContainerName && c.RuntimeId != nil {
				task, runtimeID = t, aws.ToString(c.RuntimeId)
			}
		}
		if task != nil {
			break
		}
	}
	if task == nil {
		return fmt.Errorf("none of the %d running tasks of %s was started with ECS Exec on: %s (tasks started before the deploy keep it off until replaced)", len(listed.TaskArns), name, enable)
	}
	taskArn := aws.ToString(task.TaskArn)
	fmt.Fprintf(a.errw, "opening %q in %s, task %s\n", *command, name, taskID(taskArn))
	out, err := a.aws.ECS.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{
		Cluster: aws.String(cluster), Task: aws.String(taskArn), Container: aws.String(apptask.ContainerName),
		Interactive: true, Command: aws.String(*command),
	})
	if err != nil {
		return a.execError(err, cluster, enable)
	}
	session, err := json.Marshal(map[string]string{
		"SessionId": aws.ToString(out.Session.SessionId), "StreamUrl": aws.ToString(out.Session.StreamUrl), "TokenValue": aws.ToString(out.Session.TokenValue),
	})
	if err != nil {
		return err
	}
	target, err := json.Marshal(map[string]string{"Target": "ecs:" + cluster + "_" + taskID(taskArn) + "_" + runtimeID})
	if err != nil {
		return err
	}
	// The arguments the AWS CLI passes (awscli/customizations/ecs/executecommand.py).
	code, err := a.runPlugin(ctx, plugin, []string{string(session), a.aws.Region, "StartSession", a.aws.Profile, string(target), a.aws.ECSEndpoint})
	if err != nil {
		return fmt.Errorf("running %s: %w", plugin, err)
	}
	if code != 0 {
		return &exitError{code, nil}
	}
	return nil
}

// execError explains a refused ExecuteCommand call.
func (a *app) execError(err error, cluster, enable string) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch code, msg := api.ErrorCode(), api.ErrorMessage(); {
		case strings.Contains(code, "AccessDenied"):
			return fmt.Errorf("permission denied: ECS Exec needs ecs:ExecuteCommand on cluster %s's tasks (and ssmmessages:* for the session) for your role in account %s (%s)", cluster, a.cfg.Account, msg)
		case code == "TargetNotConnectedException":
			return fmt.Errorf("the task's ECS Exec agent is not connected (%s): the task needs a writable root filesystem and HTTPS to the ssmmessages endpoint; if you just turned ECS Exec on, wait for the new tasks", msg)
		case strings.Contains(strings.ToLower(msg), "execute command") && strings.Contains(strings.ToLower(msg), "not enabled"):
			return fmt.Errorf("ECS Exec is not enabled on the task (%s): %s", msg, enable)
		}
	}
	return a.explain(err, "ecs:ExecuteCommand")
}

// runPlugin runs the Session Manager plugin on this terminal and returns
// its exit status. While it runs, an interrupt (Ctrl-C) belongs to the
// remote shell, as with the AWS CLI.
func runPlugin(_ context.Context, path string, args []string) (int, error) {
	signal.Ignore(os.Interrupt)
	defer signal.Reset(os.Interrupt)
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 0, err
	}
	return 0, nil
}
