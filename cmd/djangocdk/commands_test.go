package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

const stream = "django/django/0123456789abcdef"

func stoppedTask(code *int32, reason string) ecstypes.Task {
	return ecstypes.Task{TaskArn: aws.String(taskArn), LastStatus: aws.String("STOPPED"), StoppedReason: aws.String(reason),
		Containers: []ecstypes.Container{{Name: aws.String("django"), ExitCode: code}}}
}

func running() ecstypes.Task {
	return ecstypes.Task{TaskArn: aws.String(taskArn), LastStatus: aws.String("RUNNING")}
}

func TestRunWaitsAndReturnsTheExitCode(t *testing.T) {
	f := newFake()
	f.taskStates = []ecstypes.Task{running(), stoppedTask(aws.Int32(3), "Essential container in task exited")}
	f.streamEvents["/migrate "+stream] = []logstypes.OutputLogEvent{{Message: aws.String("Operations to perform:")}, {Message: aws.String("  No migrations to apply.")}}
	r := f.run(t, context.Background(), configPath(t, nil), "run", "--wait", "--", "python", "manage.py", "migrate", "--check")
	if r.code != 3 {
		t.Fatalf("exit %d, want the container's 3; stderr:\n%s", r.code, r.stderr)
	}
	wants(t, "stdout", r.out, "Operations to perform:\n  No migrations to apply.\n")
	wants(t, "stderr", r.stderr, "started "+taskArn, "RUNNING", "django exited 3")
	in := f.runs[0]
	if *in.TaskDefinition != migrateTD || *in.Cluster != cluster || *in.StartedBy != runStartedBy ||
		strings.Join(in.NetworkConfiguration.AwsvpcConfiguration.Subnets, ",") != "subnet-a,subnet-b" ||
		in.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups[0] != "sg-migrate" ||
		in.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp != ecstypes.AssignPublicIpDisabled ||
		strings.Join(in.Overrides.ContainerOverrides[0].Command, " ") != "python manage.py migrate --check" {
		t.Errorf("RunTask input: %+v", in)
	}
	if len(f.registered) != 0 || len(f.stops) != 0 {
		t.Errorf("registered %d revisions, stopped %d tasks; want none: the migration definition runs the released image", len(f.registered), len(f.stops))
	}
}

// Without NAT (network.nat "none") the release project's SUBNETS are public
// subnets and its ASSIGN_PUBLIC_IP is ENABLED: the task gets a public IP,
// or it could not pull its image.
func TestRunAssignsAPublicIPWhenTheReleaseProjectDoes(t *testing.T) {
	f := newFake()
	f.projectEnv["ASSIGN_PUBLIC_IP"] = "ENABLED"
	f.taskStates = []ecstypes.Task{stoppedTask(aws.Int32(0), "done")}
	r := f.run(t, context.Background(), configPath(t, nil), "run", "--wait", "--", "python", "manage.py", "check")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	if got := f.runs[0].NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp; got != ecstypes.AssignPublicIpEnabled {
		t.Errorf("AssignPublicIp %s, want ENABLED", got)
	}
}

func TestRunRegistersARevisionForTheReleasedImageAndPrintsJSON(t *testing.T) {
	f := newFake()
	f.params["/myapp/dev/image-tag"] = "d00d000"
	f.taskStates = []ecstypes.Task{stoppedTask(aws.Int32(0), "done")}
	r := f.run(t, context.Background(), configPath(t, nil), "run", "--wait", "--json", "--", "python", "manage.py", "check")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if len(f.registered) != 1 || *f.registered[0].ContainerDefinitions[0].Image != repoURI+":d00d000" || *f.registered[0].Family != "myapp-dev-migrate" {
		t.Fatalf("registered %+v; want one revision of myapp-dev-migrate with the released image", f.registered)
	}
	if *f.runs[0].TaskDefinition != "arn:aws:ecs:us-east-1:111111111111:task-definition/myapp-dev-migrate:8" {
		t.Errorf("ran %s, not the new revision", *f.runs[0].TaskDefinition)
	}
	var got runResult
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || got.ExitCode == nil || *got.ExitCode != 0 || got.TaskArn != taskArn || got.LogStream != stream || got.Image != repoURI+":d00d000" {
		t.Errorf("JSON %q (%v)", r.out, err)
	}
}

func TestRunWithoutWaitDetaches(t *testing.T) {
	f := newFake()
	r := f.run(t, context.Background(), configPath(t, nil), "run", "--", "python", "manage.py", "rebuild_index")
	if r.code != 0 || len(f.runs) != 1 || len(f.calls) == 0 || strings.Contains(strings.Join(f.calls, " "), "DescribeTasks") {
		t.Fatalf("exit %d, calls %v: %s", r.code, f.calls, r.stderr)
	}
	wants(t, "stdout", r.out, taskArn, "djangocdk logs -e dev --service migrate --follow", "aws ecs stop-task --cluster "+cluster)
}

func TestRunStopsTheTaskOnTimeoutAndInterrupt(t *testing.T) {
	f := newFake()
	f.taskStates = []ecstypes.Task{running()}
	r := f.run(t, context.Background(), configPath(t, nil), "run", "--wait", "--timeout", "20ms", "--", "python", "manage.py", "migrate")
	if r.code != exitTimedOut || len(f.stops) != 1 || !strings.Contains(*f.stops[0].Reason, "timed out after 20ms") || *f.stops[0].Task != taskArn {
		t.Fatalf("timeout: exit %d, stops %+v: %s", r.code, f.stops, r.stderr)
	}
	f = newFake()
	f.taskStates = []ecstypes.Task{running()}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel) // as SIGINT does through signal.NotifyContext
	r = f.run(t, ctx, configPath(t, nil), "run", "--wait", "--", "python", "manage.py", "migrate")
	if r.code != exitInterrupted || len(f.stops) != 1 || *f.stops[0].Reason != "djangocdk run: interrupted" {
		t.Fatalf("interrupt: exit %d, stops %+v: %s", r.code, f.stops, r.stderr)
	}
	wants(t, "stderr", r.stderr, "interrupted; stopped "+taskArn)
}

func TestRunFailures(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(f *fake)
		code  int
		want  string
	}{
		{"no command", func(*fake) {}, 2, "give the command after --"},
		{"not deployed", func(f *fake) { delete(f.params, "/myapp/dev/image-tag") },
			exitRunFailed, "SSM parameter /myapp/dev/image-tag not found in account 111111111111, us-east-1: environment dev is not deployed (stack myapp-dev-registry); deploy it with npx cdk deploy --all -c env=dev"},
		{"no image yet", func(f *fake) { f.params["/myapp/dev/image-tag"] = "none" }, exitRunFailed, "no image released in dev yet"},
		{"no pipeline", func(f *fake) { f.projectEnv = nil }, exitRunFailed, "CodeBuild project myapp-dev-release not found"},
		{"wrong account", func(f *fake) { f.account = "999999999999" }, exitRunFailed, "credentials are for account 999999999999"},
		{"no credentials", func(f *fake) { f.failing["GetCallerIdentity"] = errors.New("failed to retrieve credentials") }, exitRunFailed, "sign in to account 111111111111 first"},
		{"denied", func(f *fake) { f.failing["RunTask"] = apiError("AccessDeniedException") }, exitRunFailed, "starting the task in cluster " + cluster + ": permission denied"},
		{"not started", func(f *fake) {
			f.runOut.Tasks = nil
			f.runOut.Failures = []ecstypes.Failure{{Reason: aws.String("RESOURCE:ENI")}}
		}, exitRunFailed, "the task did not start: RESOURCE:ENI"},
		{"never ran", func(f *fake) { f.taskStates = []ecstypes.Task{stoppedTask(nil, "CannotPullContainerError")} }, exitRunFailed, "stopped before its container django ran: CannotPullContainerError"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake()
			f.taskStates = []ecstypes.Task{stoppedTask(aws.Int32(0), "")}
			c.setup(f)
			args := []string{"--wait", "--", "python", "manage.py", "check"}
			if c.name == "no command" {
				args = []string{"--wait"}
			}
			r := f.run(t, context.Background(), configPath(t, nil), "run", args...)
			if r.code != c.code {
				t.Errorf("exit %d, want %d", r.code, c.code)
			}
			wants(t, "stderr", r.stderr, c.want)
		})
	}
}

func TestLogsInterleavesProcessesByTime(t *testing.T) {
	f := newFake()
	now := time.Now().UnixMilli()
	event := func(id string, at int64, msg string) logstypes.FilteredLogEvent {
		return logstypes.FilteredLogEvent{EventId: aws.String(id), Timestamp: aws.Int64(at), Message: aws.String(msg), LogStreamName: aws.String("django/django/abcdef0123456789")}
	}
	f.groupEvents["/web"] = []logstypes.FilteredLogEvent{event("w1", now-3000, "GET / 200"), event("w2", now-1000, "GET /api 500")}
	f.groupEvents["/worker"] = []logstypes.FilteredLogEvent{event("k1", now-2000, "Task sent_mail succeeded"), event("old", now-3600_000, "an hour ago")}
	r := f.run(t, context.Background(), configPath(t, nil), "logs", "--service", "web,worker-celery", "--since", "10m")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], "web           [abcdef01] GET / 200") ||
		!strings.HasSuffix(lines[1], "worker-celery [abcdef01] Task sent_mail succeeded") || !strings.HasSuffix(lines[2], "GET /api 500") {
		t.Errorf("not interleaved by time, or the hour-old line is there:\n%s", r.out)
	}
	// The worker's log group comes from the service's current task definition.
	if strings.Contains(r.out, "an hour ago") {
		t.Error("--since ignored")
	}
}

func TestLogsFollowPrintsNewEventsOnce(t *testing.T) {
	f := newFake()
	now := time.Now().UnixMilli()
	f.groupEvents["/migrate"] = []logstypes.FilteredLogEvent{{EventId: aws.String("m1"), Timestamp: aws.Int64(now), Message: aws.String("Applying app.0002... OK"), LogStreamName: aws.String(stream)}}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, func() {
		f.mu.Lock()
		f.groupEvents["/migrate"] = append(f.groupEvents["/migrate"], logstypes.FilteredLogEvent{EventId: aws.String("m2"), Timestamp: aws.Int64(now + 5), Message: aws.String("Applying app.0003... OK"), LogStreamName: aws.String(stream)})
		f.mu.Unlock()
		time.AfterFunc(30*time.Millisecond, cancel)
	})
	r := f.run(t, ctx, configPath(t, nil), "logs", "--service", "migrate", "--follow")
	if r.code != 0 || strings.Count(r.out, "0002") != 1 || strings.Count(r.out, "0003") != 1 {
		t.Fatalf("exit %d, want each line once:\n%s%s", r.code, r.out, r.stderr)
	}
}

func TestLogsFailures(t *testing.T) {
	f := newFake()
	r := f.run(t, context.Background(), configPath(t, nil), "logs", "--service", "worker-emails")
	if r.code != 2 {
		t.Errorf("exit %d", r.code)
	}
	wants(t, "stderr", r.stderr, `--service: "worker-emails" is not a process of this environment; use one or more (comma separated) of beat, migrate, web, worker-celery`)
	f = newFake()
	f.failing["FilterLogEvents"] = apiError("AccessDeniedException")
	r = f.run(t, context.Background(), configPath(t, nil), "logs")
	wants(t, "stderr", r.stderr, "reading the log group /web: permission denied")
	f = newFake()
	delete(f.services, beatName)
	r = f.run(t, context.Background(), configPath(t, nil), "logs", "--service", "beat")
	wants(t, "stderr", r.stderr, "the beat service "+beatName+" is not in cluster")
}

func TestStatus(t *testing.T) {
	f := newFake()
	f.alarms = []cwtypes.MetricAlarm{
		{AlarmName: aws.String("myapp-dev-target-5xx"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("Threshold Crossed"), StateUpdatedTimestamp: aws.Time(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))},
		{AlarmName: aws.String("myapp-production-target-5xx"), StateValue: cwtypes.StateValueAlarm},
	}
	f.executions = []cptypes.PipelineExecutionSummary{{PipelineExecutionId: aws.String("e-1"), Status: cptypes.PipelineExecutionStatusFailed,
		StartTime: aws.Time(time.Date(2026, 11, 1, 11, 0, 0, 0, time.UTC)), SourceRevisions: []cptypes.SourceRevision{{RevisionId: aws.String("c0ffee1")}}}}
	r := f.run(t, context.Background(), configPath(t, nil), "status", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var s Status
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		t.Fatal(err)
	}
	if s.ReleasedTag != "c0ffee1" || len(s.Services) != 3 || s.Services[0].Role != "web" || s.Services[0].ImageTag != "c0ffee1" || s.Services[0].Running != 2 {
		t.Errorf("services: %+v", s)
	}
	w := s.Services[2]
	if w.Role != "worker-celery" || w.ImageTag != "babe000" || w.DeployingTag != "c0ffee1" || w.Deployment != "in_progress (1/2 on the new tasks)" || w.Pending != 1 {
		t.Errorf("the worker's deployment in progress: %+v", w)
	}
	if len(s.Queues) != 1 || s.Queues[0].Depth == nil || *s.Queues[0].Depth != 42 {
		t.Errorf("queue depth: %+v", s.Queues)
	}
	if len(s.Alarms) != 1 || s.Alarms[0].Name != "myapp-dev-target-5xx" {
		t.Errorf("alarms: %+v", s.Alarms)
	}
	if s.Pipeline == nil || s.Pipeline.Status != "Failed" || s.Pipeline.Commit != "c0ffee1" || s.Pipeline.Name != "myapp-dev-pipeline-Release-abc" {
		t.Errorf("pipeline: %+v", s.Pipeline)
	}
	r = f.run(t, context.Background(), configPath(t, nil), "status")
	wants(t, "text status", r.out, "released image tag c0ffee1", "worker-celery  babe000", "in_progress (1/2 on the new tasks) to c0ffee1", "celery  42",
		"myapp-dev-target-5xx since 2026-11-01T12:00:00Z: Threshold Crossed", "last execution e-1 Failed, commit c0ffee1")
}

func TestStatusFailures(t *testing.T) {
	f := newFake()
	delete(f.params, "/myapp/dev/shared/compute/ClusterName")
	r := f.run(t, context.Background(), configPath(t, nil), "status")
	if r.code != 1 {
		t.Errorf("exit %d", r.code)
	}
	wants(t, "stderr", r.stderr, "/myapp/dev/shared/compute/ClusterName not found", "(stack myapp-dev-compute)")
	f = newFake()
	f.failing["ListPipelineExecutions"] = &cptypes.PipelineNotFoundException{Message: aws.String("gone")}
	r = f.run(t, context.Background(), configPath(t, nil), "status")
	wants(t, "stderr", r.stderr, "the pipeline myapp-dev-pipeline-Release-abc is not in account 111111111111")
	f = newFake()
	f.failing["GetParameter"] = apiError("ExpiredTokenException")
	r = f.run(t, context.Background(), configPath(t, nil), "status")
	wants(t, "stderr", r.stderr, "the AWS credentials have expired")
	r = f.run(t, context.Background(), configPath(t, nil), "status", "-e", "qa")
	if r.code != 2 {
		t.Errorf("unknown environment: exit %d", r.code)
	}
	wants(t, "stderr", r.stderr, `env: "qa" is not a configured environment; choose one of dev, production, staging`)
}

func image(tags ...string) ecrtypes.ImageDetail { return ecrtypes.ImageDetail{ImageTags: tags} }

func succeeded() []cbtypes.Build {
	logs := &cbtypes.LogsLocation{GroupName: aws.String("/aws/codebuild/release"), StreamName: aws.String("b1")}
	return []cbtypes.Build{
		{Id: aws.String("myapp-dev-release:b1"), CurrentPhase: aws.String("BUILD"), Logs: logs},
		{Id: aws.String("myapp-dev-release:b1"), CurrentPhase: aws.String("COMPLETED"), BuildComplete: true, BuildStatus: cbtypes.StatusTypeSucceeded, Logs: logs},
	}
}

func TestRollbackReleasesThePreviousReleaseThroughTheReleaseProject(t *testing.T) {
	f := newFake()
	// c0ffee1 is current; babe000 was released before it, then c0ffee1
	// again after a first rollback; 1111111 was released long before.
	f.images = []ecrtypes.ImageDetail{
		image("1111111", "release-20261001000000"),
		image("release-20261101000000", "babe000"),
		image("c0ffee1", "release-20261020000000", "release-20261102000000"),
		image("feed000"), // built, never released
		image("buildcache"),
	}
	f.builds = succeeded()
	f.streamEvents["/aws/codebuild/release b1"] = []logstypes.OutputLogEvent{{Message: aws.String("== migrate")}, {Message: aws.String("released " + repoURI + ":babe000")}}
	r := f.run(t, context.Background(), configPath(t, nil), "rollback")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	start := f.starts[0]
	vars := map[string]string{}
	for _, v := range start.EnvironmentVariablesOverride {
		vars[*v.Name] = *v.Value
		if v.Type != cbtypes.EnvironmentVariableTypePlaintext {
			t.Errorf("%s is %s", *v.Name, v.Type)
		}
	}
	if *start.ProjectName != "myapp-dev-release" || len(vars) != 2 || vars["IMAGE_TAG"] != "babe000" || vars["PUBLISH_FRONTENDS"] != "false" {
		t.Errorf("StartBuild %s %v; want the ReleaseCommand's variables with babe000", *start.ProjectName, vars)
	}
	wants(t, "stderr", r.stderr, "from c0ffee1 to babe000", "build phase BUILD", "== migrate", "released "+repoURI+":babe000")
	wants(t, "stdout", r.out, "rolled dev back to babe000")
}

func TestRollbackFailures(t *testing.T) {
	for _, c := range []struct {
		name  string
		args  []string
		setup func(f *fake)
		want  string
	}{
		{"missing image", []string{"--to", "deadbee"}, func(*fake) {}, "no image myapp-dev-django:deadbee in the repository"},
		{"not a commit", []string{"--to", "latest"}, func(*fake) {}, `--to "latest": give the commit of a released image`},
		{"already released", []string{"--to", "c0ffee1"}, func(*fake) {}, "c0ffee1 is already the released image tag of dev"},
		{"nothing earlier", nil, func(f *fake) { f.images = []ecrtypes.ImageDetail{image("c0ffee1", "release-20261102000000")} }, "no earlier release than c0ffee1"},
		{"build failed", []string{"--to", "babe000"}, func(f *fake) {
			f.builds = []cbtypes.Build{{Id: aws.String("myapp-dev-release:b1"), BuildComplete: true, BuildStatus: cbtypes.StatusTypeFailed,
				Phases: []cbtypes.BuildPhase{{PhaseType: cbtypes.BuildPhaseTypeBuild, PhaseStatus: cbtypes.StatusTypeFailed, Contexts: []cbtypes.PhaseContext{{Message: aws.String("COMMAND_EXECUTION_ERROR: exit status 1")}}}}}}
		}, "the release build myapp-dev-release:b1 ended FAILED in phase BUILD: COMMAND_EXECUTION_ERROR: exit status 1"},
		{"start denied", []string{"--to", "babe000"}, func(f *fake) { f.failing["StartBuild"] = apiError("AccessDeniedException") }, "starting the release project myapp-dev-release: permission denied"},
		{"follow timeout", []string{"--to", "babe000", "--timeout", "20ms"}, func(f *fake) { f.builds = succeeded()[:1] }, "stopped following after 20ms; the release build myapp-dev-release:b1 goes on"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake()
			f.images = []ecrtypes.ImageDetail{image("babe000", "release-20261101000000"), image("c0ffee1", "release-20261102000000")}
			f.builds = succeeded()
			c.setup(f)
			r := f.run(t, context.Background(), configPath(t, nil), "rollback", c.args...)
			if r.code == 0 {
				t.Errorf("exit 0")
			}
			wants(t, "stderr", r.stderr, c.want)
			if c.name != "build failed" && c.name != "follow timeout" && len(f.starts) != 0 {
				t.Errorf("started a build after a failed check")
			}
		})
	}
}

// withExec turns ECS Exec on in dev, as the README says to.
func withExec(context map[string]any) {
	compute := context["environments"].(map[string]any)["dev"].(map[string]any)["compute"].(map[string]any)
	compute["executeCommand"] = true
	compute["web"].(map[string]any)["readonlyRootFilesystem"] = false
}

func execTask(enabled bool) ecstypes.Task {
	return ecstypes.Task{TaskArn: aws.String(taskArn), LastStatus: aws.String("RUNNING"), EnableExecuteCommand: enabled,
		Containers: []ecstypes.Container{{Name: aws.String("django"), RuntimeId: aws.String("0123456789abcdef-111")}}}
}

func TestShellStartsTheSessionManagerPluginAsTheAWSCLIDoes(t *testing.T) {
	f := newFake()
	f.listed = []string{taskArn}
	f.taskStates = []ecstypes.Task{execTask(true)}
	var gotPath string
	var gotArgs []string
	lookPath = func(string) (string, error) { return "/usr/local/bin/session-manager-plugin", nil }
	pluginRunner = func(_ context.Context, path string, args []string) (int, error) {
		gotPath, gotArgs = path, args
		return 0, nil
	}
	r := f.run(t, context.Background(), configPath(t, withExec), "shell")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	e := f.execs[0]
	if *e.Cluster != cluster || *e.Task != taskArn || *e.Container != "django" || !e.Interactive || *e.Command != "python manage.py shell" {
		t.Errorf("ExecuteCommand %+v", e)
	}
	want := []string{`{"SessionId":"ecs-execute-command-1","StreamUrl":"wss://ssmmessages.example/1","TokenValue":"token"}`, "us-east-1", "StartSession", "ops",
		`{"Target":"ecs:` + cluster + `_0123456789abcdef_0123456789abcdef-111"}`, "https://ecs.us-east-1.amazonaws.com"}
	if gotPath != "/usr/local/bin/session-manager-plugin" || strings.Join(gotArgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("plugin %s %q\nwant %q", gotPath, gotArgs, want)
	}
}

func TestShellFailures(t *testing.T) {
	found := func(string) (string, error) { return "/bin/session-manager-plugin", nil }
	for _, c := range []struct {
		name   string
		config func(map[string]any)
		look   func(string) (string, error)
		setup  func(f *fake)
		want   string
	}{
		{"exec off in config", nil, found, func(*fake) {},
			"ECS Exec is off in dev (compute.executeCommand is false): set environments.dev.compute.executeCommand to true and environments.dev.compute.web.readonlyRootFilesystem to false"},
		{"plugin missing", withExec, func(string) (string, error) { return "", errors.New("not found") }, func(*fake) {},
			"session-manager-plugin not found: install AWS's Session Manager plugin (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"},
		{"task without exec", withExec, found, func(f *fake) { f.taskStates = []ecstypes.Task{execTask(false)} }, "none of the 1 running tasks of " + webName + " was started with ECS Exec on"},
		{"no task", withExec, found, func(f *fake) { f.listed = nil }, "no running task in the web service"},
		{"denied", withExec, found, func(f *fake) { f.failing["ExecuteCommand"] = apiError("AccessDeniedException") }, "permission denied: ECS Exec needs ecs:ExecuteCommand on cluster " + cluster},
		{"not enabled", withExec, found, func(f *fake) {
			f.failing["ExecuteCommand"] = &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "The execute command failed because execute command was not enabled when the task was run"}
		}, "ECS Exec is not enabled on the task"},
		{"not web", withExec, found, func(*fake) {}, "ECS Exec is on the web service only, not beat"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake()
			f.listed = []string{taskArn}
			f.taskStates = []ecstypes.Task{execTask(true)}
			c.setup(f)
			lookPath = c.look
			ran := false
			pluginRunner = func(context.Context, string, []string) (int, error) { ran = true; return 0, nil }
			args := []string{}
			if c.name == "not web" {
				args = []string{"--service", "beat"}
			}
			r := f.run(t, context.Background(), configPath(t, c.config), "shell", args...)
			if r.code == 0 || ran {
				t.Errorf("exit %d, plugin ran %v", r.code, ran)
			}
			wants(t, "stderr", r.stderr, c.want)
		})
	}
}
