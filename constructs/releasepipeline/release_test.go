package releasepipeline

import (
	"strings"
	"testing"

	"github.com/djangocdk/djangocdk/constructs/releasepipeline/testdata/fakeaws"
)

// release.sh: the steps of one release, in order.

var releaseEnv = []string{"REPOSITORY_URI=" + repo, "IMAGE_TAG=abc123", "CLUSTER=shop", "SUBNETS=subnet-1,subnet-2", "SECURITY_GROUP=sg-1",
	"MIGRATE_FAMILY=shop-prod-migrate", "STATIC_FAMILY=shop-prod-static", "STACK=shop-prod-compute", "TAG_PARAMETER=/shop/prod/image-tag",
	"SERVICES=web worker beat", "CFN_ROLE_ARN=arn:cfn", "FRONTENDS=", "TASK_TIMEOUT_SECONDS=300", "DEPLOY_TIMEOUT_SECONDS=600", "POLL_SECONDS=60"}

func TestReleaseRunsMigrateStaticDeployPublishInOrder(t *testing.T) {
	r := run(t, newWorld(), "release.sh", with(releaseEnv, "FRONTENDS="+frontend(t))...)
	if r.err != nil {
		t.Fatalf("release failed: %v\n%s", r.err, r.out)
	}
	steps := []string{
		"ecr describe-images --repository-name shop --image-ids imageTag=abc123",
		"ecs run-task --cluster shop --task-definition arn:aws:ecs:eu-west-1:1:task-definition/shop-prod-migrate:8",
		"ecs run-task --cluster shop --task-definition arn:aws:ecs:eu-west-1:1:task-definition/shop-prod-static:8",
		"cloudformation update-stack",
		"s3 sync",
		"cloudfront create-invalidation --distribution-id E123",
	}
	last := -1
	for _, s := range steps {
		i := r.index(s)
		if i <= last {
			t.Fatalf("%q is not after the step before it: %v", s, r.calls)
		}
		last = i
	}
	if !strings.Contains(r.out, "released "+newImage) || !r.called("--started-by release-static") {
		t.Errorf("output %s", r.out)
	}
	// Each task ran the new image, and stopped before the next step.
	for _, task := range r.world.Tasks {
		if !strings.HasSuffix(task.Definition, ":8") {
			t.Errorf("task %s ran %s", task.Arn, task.Definition)
		}
	}
	if r.world.Tasks[1].StartedAt < r.world.Tasks[0].StartedAt+30 || *r.world.Stack.UpdatedAt < r.world.Tasks[1].StartedAt+30 {
		t.Errorf("steps overlapped: tasks %v, stack updated at %d", r.world.Tasks, *r.world.Stack.UpdatedAt)
	}
}

func TestReleaseWithoutStaticFamilySkipsCollectstatic(t *testing.T) {
	r := run(t, newWorld(), "release.sh", with(releaseEnv, "STATIC_FAMILY=")...)
	if r.err != nil {
		t.Fatalf("release failed: %v\n%s", r.err, r.out)
	}
	if r.called("shop-prod-static") || r.count("ecs run-task") != 1 || !strings.Contains(r.out, "collectstatic: skipped") {
		t.Errorf("calls %v", r.calls)
	}
}

func TestReleaseStopsAtTheFirstFailingStep(t *testing.T) {
	for step, breaks := range map[string]func(*fakeaws.World){
		"migrate": func(w *fakeaws.World) {
			w.Runs["shop-prod-migrate"] = fakeaws.Run{Duration: 30, ExitCode: count(1)}
		},
		"collectstatic": func(w *fakeaws.World) {
			w.Runs["shop-prod-static"] = fakeaws.Run{Duration: 30, ExitCode: count(1)}
		},
		"deploy": func(w *fakeaws.World) {
			w.Stack.AfterUpdate = []fakeaws.Phase{{At: 0, Status: "UPDATE_IN_PROGRESS"}, {At: 60, Status: "UPDATE_ROLLBACK_COMPLETE"}}
		},
		"publish": func(w *fakeaws.World) { w.Fail = map[string]string{"s3 sync": "AccessDenied"} },
	} {
		w := newWorld()
		breaks(w)
		r := run(t, w, "release.sh", with(releaseEnv, "FRONTENDS="+frontend(t))...)
		if r.err == nil || !strings.Contains(r.out, "release: step "+step+" failed") {
			t.Fatalf("%s failing: err %v, output %s", step, r.err, r.out)
		}
		later := map[string][]string{
			"migrate":       {"shop-prod-static", "update-stack", "s3 sync"},
			"collectstatic": {"update-stack", "s3 sync"},
			"deploy":        {"s3 sync"},
			"publish":       {"create-invalidation"},
		}[step]
		for _, c := range later {
			if r.called(c) {
				t.Errorf("%s failed, yet %s ran: %v", step, c, r.calls)
			}
		}
	}
}

func TestReleaseRefusesATagThatIsNotABuiltCommit(t *testing.T) {
	for _, tag := range []string{"", "none", "latest"} {
		r := run(t, newWorld(), "release.sh", with(releaseEnv, "IMAGE_TAG="+tag)...)
		if r.err == nil || !strings.Contains(r.out, "release: IMAGE_TAG is '"+tag+"': give the commit to release") || len(r.calls) > 0 {
			t.Errorf("IMAGE_TAG=%q: err %v, calls %v, output %s", tag, r.err, r.calls, r.out)
		}
	}
	r := run(t, newWorld(), "release.sh", with(releaseEnv, "IMAGE_TAG=0badc0de")...)
	if r.err == nil || !strings.Contains(r.out, repo+":0badc0de is not in the repository") || len(r.calls) != 1 {
		t.Errorf("an image not pushed: err %v, calls %v, output %s", r.err, r.calls, r.out)
	}
}

func TestReleaseStoppedWhileMigratingStopsTheTask(t *testing.T) {
	w := newWorld()
	w.Runs["shop-prod-migrate"] = fakeaws.Run{Duration: 100000, ExitCode: count(0)}
	w.Signal = &fakeaws.Signal{Call: "ecs describe-tasks", Skip: 1} // SIGTERM to release.sh
	r := run(t, w, "release.sh", releaseEnv...)
	// The reason says "stopped", or "ended" when bash's TERM trap lost the
	// race with the command substitution the signal interrupted; either way
	// the task is stopped.
	if r.err == nil || !r.called("ecs stop-task --cluster shop --task arn:aws:ecs:eu-west-1:1:task/shop/shop-prod-migrate0000 --reason the release build") {
		t.Fatalf("err %v, calls %v, output %s", r.err, r.calls, r.out)
	}
	if r.called("shop-prod-static") || r.called("update-stack") {
		t.Errorf("the release went on: %v", r.calls)
	}
}

func TestReleaseByHandLeavesTheFrontendsToThePipeline(t *testing.T) {
	// A release started by hand has no Build artifact: PUBLISH_FRONTENDS=false.
	r := run(t, newWorld(), "release.sh", with(releaseEnv, "FRONTENDS="+frontend(t), "PUBLISH_FRONTENDS=false")...)
	if r.err != nil {
		t.Fatalf("release failed: %v\n%s", r.err, r.out)
	}
	if r.called("s3 sync") || r.called("cloudfront create-invalidation") || !strings.Contains(r.out, "publish: skipped") ||
		!r.called("cloudformation update-stack") {
		t.Errorf("calls %v\n%s", r.calls, r.out)
	}
}

func TestReleaseWhoseImageCannotBeTaggedPublishesThenFails(t *testing.T) {
	w := newWorld()
	w.Fail = map[string]string{"ecr put-image": "AccessDeniedException"}
	r := run(t, w, "release.sh", with(releaseEnv, "FRONTENDS="+frontend(t))...)
	// The services run the new image: the frontends that go with it follow.
	if r.err == nil || !r.called("cloudfront create-invalidation") ||
		!strings.Contains(r.out, "release: released "+newImage+" (migrate collectstatic deploy publish completed), but adding its release-* tag failed") {
		t.Fatalf("err %v, calls %v\n%s", r.err, r.calls, r.out)
	}
	if strings.Contains(r.out, "step deploy failed") {
		t.Errorf("the release says deploy failed, though the services run the image:\n%s", r.out)
	}
}

func TestReleaseTagsTheImageItReleased(t *testing.T) {
	r := run(t, newWorld(), "release.sh", releaseEnv...)
	if r.err != nil {
		t.Fatalf("release failed: %v\n%s", r.err, r.out)
	}
	if len(r.world.Added) != 1 {
		t.Errorf("added tags %v, want one release tag", r.world.Added)
	}
	for tag, image := range r.world.Added {
		if !releaseTag.MatchString(tag) || image != "abc123" {
			t.Errorf("added %s to %s", tag, image)
		}
	}
}
