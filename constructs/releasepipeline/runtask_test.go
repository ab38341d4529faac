package releasepipeline

import (
	"strings"
	"testing"

	"github.com/djangocdk/djangocdk/constructs/releasepipeline/testdata/fakeaws"
)

// run-task.sh: the one-off tasks (migrate, collectstatic).

var taskEnv = []string{"CLUSTER=shop", "FAMILY=shop-prod-migrate", "IMAGE=" + newImage, "SUBNETS=subnet-1,subnet-2",
	"SECURITY_GROUP=sg-1", "STARTED_BY=release-migrate", "TIMEOUT_SECONDS=300", "POLL_SECONDS=30"}

func TestRunTaskRunsTheNewImageAndSucceedsOnExitZero(t *testing.T) {
	r := run(t, newWorld(), "run-task.sh", taskEnv...)
	if r.err != nil {
		t.Fatalf("run-task failed: %v\n%s", r.err, r.out)
	}
	// The registered revision runs the new image, in the same family, with the same roles.
	revision := r.world.TaskDefinitions[len(r.world.TaskDefinitions)-1].Definition
	if img := revision["containerDefinitions"].([]any)[0].(map[string]any)["image"]; img != newImage {
		t.Errorf("the task runs %v, want the new image", img)
	}
	if revision["family"] != "shop-prod-migrate" || revision["revision"] != 8.0 || revision["executionRoleArn"] != "arn:exec" || revision["taskRoleArn"] != "arn:task" {
		t.Errorf("revision %v", revision)
	}
	if !r.called("ecs run-task --cluster shop --task-definition arn:aws:ecs:eu-west-1:1:task-definition/shop-prod-migrate:8 --launch-type FARGATE --count 1 --started-by release-migrate") ||
		!r.called("subnets=[subnet-1,subnet-2],securityGroups=[sg-1],assignPublicIp=DISABLED") {
		t.Errorf("run-task calls %v", r.calls)
	}
	if !strings.Contains(r.out, "shop-prod-migrate succeeded") || !strings.Contains(r.out, "/tasks/shop-prod-migrate0000/logs?region=eu-west-1") {
		t.Errorf("output %s", r.out)
	}
	if r.called("stop-task") {
		t.Errorf("stopped a task that ended by itself: %v", r.calls)
	}
}

// Without NAT the release project sets ASSIGN_PUBLIC_IP=ENABLED (public
// subnets): the task gets a public IP. A value RunTask would not take fails
// before anything runs.
func TestRunTaskAssignsAPublicIPWhenAsked(t *testing.T) {
	r := run(t, newWorld(), "run-task.sh", append(taskEnv, "ASSIGN_PUBLIC_IP=ENABLED")...)
	if r.err != nil || !r.called("subnets=[subnet-1,subnet-2],securityGroups=[sg-1],assignPublicIp=ENABLED") {
		t.Fatalf("err %v, calls %v\n%s", r.err, r.calls, r.out)
	}
	r = run(t, newWorld(), "run-task.sh", append(taskEnv, "ASSIGN_PUBLIC_IP=yes")...)
	if r.err == nil || !strings.Contains(r.out, "ASSIGN_PUBLIC_IP=yes is not ENABLED or DISABLED") || r.called("register-task-definition") {
		t.Fatalf("err %v, calls %v\n%s", r.err, r.calls, r.out)
	}
}

func TestRunTaskFailsOnNonZeroExit(t *testing.T) {
	w := newWorld()
	w.Runs["shop-prod-migrate"] = fakeaws.Run{Duration: 30, ExitCode: count(1), Reason: "Essential container in task exited"}
	r := run(t, w, "run-task.sh", taskEnv...)
	if r.err == nil {
		t.Fatalf("run-task succeeded on exit code 1:\n%s", r.out)
	}
	if !strings.Contains(r.out, "shop-prod-migrate failed: exit code 1 (Essential container in task exited); the services were not updated") ||
		!strings.Contains(r.out, "/tasks/shop-prod-migrate0000/logs") {
		t.Errorf("output %s", r.out)
	}
}

func TestRunTaskFailsWhenTheTaskNeverStarts(t *testing.T) {
	w := newWorld()
	w.Runs["shop-prod-migrate"] = fakeaws.Run{Failure: "RESOURCE:ENI"}
	r := run(t, w, "run-task.sh", taskEnv...)
	if r.err == nil || !strings.Contains(r.out, "did not start: RESOURCE:ENI") {
		t.Fatalf("err %v, output %s", r.err, r.out)
	}
	if r.called("describe-tasks") || r.called("stop-task") || r.world.Now != 0 {
		t.Errorf("waited for a task that never started: %v", r.calls)
	}
}

func TestRunTaskFailsWhenTheContainerNeverRan(t *testing.T) {
	// A task that stops before its container runs (image pull failure) has no exit code.
	w := newWorld()
	w.Runs["shop-prod-migrate"] = fakeaws.Run{Duration: 20, Reason: "CannotPullContainerError: pull access denied"}
	r := run(t, w, "run-task.sh", taskEnv...)
	if r.err == nil || !strings.Contains(r.out, "stopped before its container django ran: CannotPullContainerError: pull access denied") {
		t.Fatalf("err %v, output %s", r.err, r.out)
	}
}

func TestRunTaskStopsATaskThatOutlivesItsTimeout(t *testing.T) {
	w := newWorld()
	w.Runs["shop-prod-migrate"] = fakeaws.Run{Duration: 100000, ExitCode: count(0)}
	r := run(t, w, "run-task.sh", taskEnv...)
	if r.err == nil || !strings.Contains(r.out, "still RUNNING after TIMEOUT_SECONDS=300s: stopped it. Logs: https://") {
		t.Fatalf("err %v, output %s", r.err, r.out)
	}
	if r.count("ecs stop-task --cluster shop --task arn:aws:ecs:eu-west-1:1:task/shop/shop-prod-migrate0000 --reason timed out after 300s") != 1 {
		t.Errorf("stop-task calls: %v", r.calls)
	}
	if r.world.Now < 300 || r.world.Now > 310 {
		t.Errorf("gave up at %d s, want at the limit (300 s)", r.world.Now)
	}
}

func TestRunTaskStopsItsTaskWhenTheBuildIsStopped(t *testing.T) {
	w := newWorld()
	w.Runs["shop-prod-migrate"] = fakeaws.Run{Duration: 100000, ExitCode: count(0)}
	w.Signal = &fakeaws.Signal{Call: "ecs describe-tasks", Skip: 2} // SIGTERM while it polls
	r := run(t, w, "run-task.sh", taskEnv...)
	if r.err == nil {
		t.Fatalf("run-task succeeded although stopped:\n%s", r.out)
	}
	// "was stopped" from the TERM trap, or "ended" from the EXIT trap when
	// bash loses the signal inside a command substitution: once either way.
	if r.count("ecs stop-task --cluster shop --task arn:aws:ecs:eu-west-1:1:task/shop/shop-prod-migrate0000 --reason the release build") != 1 {
		t.Errorf("stop-task calls: %v", r.calls)
	}
	if r.world.Tasks[0].StoppedAt == nil || r.count("describe-tasks") != 3 {
		t.Errorf("the task was not stopped at once: %v", r.calls)
	}
}

func TestRunTaskWaitsForAPreviousTaskOfTheSameKind(t *testing.T) {
	// A stopped build left a migration running; another kind does not count.
	w := newWorld()
	w.Tasks = []*fakeaws.Task{
		{Arn: "arn:aws:ecs:eu-west-1:1:task/shop/earlier", Family: "shop-prod-migrate", StartedBy: "release-migrate", Duration: 100},
		{Arn: "arn:aws:ecs:eu-west-1:1:task/shop/static", Family: "shop-prod-static", StartedBy: "release-static", Duration: 100000},
	}
	r := run(t, w, "run-task.sh", taskEnv...)
	if r.err != nil {
		t.Fatalf("run-task failed: %v\n%s", r.err, r.out)
	}
	started := r.world.Tasks[len(r.world.Tasks)-1]
	if started.StartedAt < 100 || !strings.Contains(r.out, "waiting for a previous release-migrate task to stop: arn:aws:ecs:eu-west-1:1:task/shop/earlier") {
		t.Errorf("started at %d s, while the previous migration ran until 100 s:\n%s", started.StartedAt, r.out)
	}
	if !r.called("ecs list-tasks --cluster shop --started-by release-migrate --desired-status RUNNING") {
		t.Errorf("calls %v", r.calls)
	}
}

func TestRunTaskDoesNotStartNextToAPreviousTaskStillRunning(t *testing.T) {
	w := newWorld()
	w.Tasks = []*fakeaws.Task{{Arn: "arn:aws:ecs:eu-west-1:1:task/shop/earlier", Family: "shop-prod-migrate", StartedBy: "release-migrate", Duration: 100000}}
	r := run(t, w, "run-task.sh", taskEnv...)
	if r.err == nil || !strings.Contains(r.out, "a previous release-migrate task is still running after TIMEOUT_SECONDS=300s: arn:aws:ecs:eu-west-1:1:task/shop/earlier") {
		t.Fatalf("err %v, output %s", r.err, r.out)
	}
	if r.called("run-task") || r.called("stop-task") {
		t.Errorf("started or stopped a task: %v", r.calls)
	}
}
