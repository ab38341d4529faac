package releasepipeline

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/djangocdk/djangocdk/constructs/releasepipeline/testdata/fakeaws"
)

// deploy.sh: the tag parameter, the Compute stack, the services.

var deployEnv = []string{"STACK=shop-prod-compute", "TAG_PARAMETER=/shop/prod/image-tag", "IMAGE_TAG=abc123",
	"IMAGE=" + newImage, "CLUSTER=shop", "SERVICES=web worker beat", "CFN_ROLE_ARN=arn:cfn",
	"DEPLOY_TIMEOUT_SECONDS=600", "POLL_SECONDS=60"}

func TestDeployUpdatesTheComputeStackAndChecksEveryService(t *testing.T) {
	r := run(t, newWorld(), "deploy.sh", deployEnv...)
	if r.err != nil {
		t.Fatalf("deploy failed: %v\n%s", r.err, r.out)
	}
	for _, want := range []string{
		"ssm put-parameter --name /shop/prod/image-tag --value abc123 --overwrite",
		"cloudformation update-stack --stack-name shop-prod-compute --use-previous-template --parameters ParameterKey=SsmParameterValueImageTag,UsePreviousValue=true ParameterKey=BootstrapVersion,UsePreviousValue=true --role-arn arn:cfn",
		"application-autoscaling describe-scalable-targets --service-namespace ecs --resource-ids service/shop/web",
		"elbv2 describe-target-health --target-group-arn arn:tg/web",
		"ecs describe-services --cluster shop --services worker",
		"ecs describe-services --cluster shop --services beat",
	} {
		if !r.called(want) {
			t.Errorf("no call %q in %v", want, r.calls)
		}
	}
	if r.called("--value old456") || r.called("cloudformation wait") {
		t.Errorf("calls %v", r.calls)
	}
	if r.world.Parameters["/shop/prod/image-tag"] != "abc123" || !strings.Contains(r.out, "released "+newImage+" to: web worker beat") {
		t.Errorf("parameter %v, output %s", r.world.Parameters, r.out)
	}
}

// On the first release the services were created at 0 tasks: ECS keeps 0
// (DesiredCount is AWS::NoValue on update) until Application Auto Scaling
// applies the new minimum, after CloudFormation finished.
func firstRelease() *fakeaws.World {
	w := newWorld()
	w.Parameters["/shop/prod/image-tag"] = "none"
	w.Services["web"].Phases = []fakeaws.ServicePhase{
		{At: 0, Image: newImage},
		{At: 120, Image: newImage, Desired: 2},
		{At: 180, Image: newImage, Desired: 2, Running: 2},
		{At: 240, Image: newImage, Desired: 2, Running: 2, Healthy: 2},
	}
	// The worker starts its task late, and drains an old deployment.
	w.Services["worker"].Phases = []fakeaws.ServicePhase{
		{At: 0, Image: newImage, Desired: 1},
		{At: 240, Image: newImage, Desired: 1, Running: 1, Deployments: 2},
		{At: 300, Image: newImage, Desired: 1, Running: 1},
	}
	return w
}

func TestDeployWaitsUntilTheServicesRunTheirMinimum(t *testing.T) {
	r := run(t, firstRelease(), "deploy.sh", deployEnv...)
	if r.err != nil {
		t.Fatalf("deploy failed: %v\n%s", r.err, r.out)
	}
	if r.world.Now < 300 {
		t.Errorf("deploy ended at %d s, before web ran 2 healthy tasks (at 240 s) and the worker its task alone (at 300 s):\n%s", r.world.Now, r.out)
	}
	for _, progress := range []string{
		"web: deployments 1 (primary COMPLETED), desired 0 (minimum 2), running 0, healthy targets 0",
		"web: deployments 1 (primary COMPLETED), desired 2 (minimum 2), running 2, healthy targets 0",
		"web: runs " + newImage,
		"worker: deployments 1 (primary COMPLETED), desired 1 (minimum 1), running 0, healthy targets -",
		"worker: deployments 2 (primary COMPLETED), desired 1 (minimum 1), running 1, healthy targets -",
		"worker: runs " + newImage,
	} {
		if !strings.Contains(r.out, progress) {
			t.Errorf("no %q in output:\n%s", progress, r.out)
		}
	}
	if r.called("--value none") {
		t.Errorf("the tag was restored after a good deploy")
	}
}

func TestDeployFailsWhenAServiceStaysBelowItsMinimum(t *testing.T) {
	w := firstRelease()
	w.Services["web"].Phases = []fakeaws.ServicePhase{{Image: newImage}}
	r := run(t, w, "deploy.sh", deployEnv...)
	if r.err == nil || !strings.Contains(r.out, "not running "+newImage+" at the desired count after DEPLOY_TIMEOUT_SECONDS=600s: web") {
		t.Fatalf("err %v, output %s", r.err, r.out)
	}
	if r.world.Now < 60+600 {
		t.Errorf("gave up at %d s, before the limit", r.world.Now)
	}
	// The stack is UPDATE_COMPLETE (terminal): the tag goes back.
	if r.world.Parameters["/shop/prod/image-tag"] != "none" {
		t.Errorf("the tag was not restored: %v", r.calls)
	}
}

func TestDeployCancelsAStackUpdateThatOutlivesItsLimit(t *testing.T) {
	w := newWorld()
	w.Stack.AfterUpdate = []fakeaws.Phase{{At: 0, Status: "UPDATE_IN_PROGRESS"}}
	w.Stack.AfterCancel = []fakeaws.Phase{{At: 0, Status: "UPDATE_ROLLBACK_IN_PROGRESS"}, {At: 120, Status: "UPDATE_ROLLBACK_COMPLETE"}}
	r := run(t, w, "deploy.sh", deployEnv...)
	if r.err == nil || !strings.Contains(r.out, "did not update (UPDATE_ROLLBACK_COMPLETE)") {
		t.Fatalf("err %v, output %s", r.err, r.out)
	}
	cancel, terminal, restored := r.index("cloudformation cancel-update-stack --stack-name shop-prod-compute"),
		r.index("=> UPDATE_ROLLBACK_COMPLETE"), r.index("ssm put-parameter --name /shop/prod/image-tag --value old456 --overwrite")
	if cancel < 0 || terminal < cancel || restored < terminal {
		t.Errorf("want cancel, then UPDATE_ROLLBACK_COMPLETE, then the tag restored: %v", r.calls)
	}
	if *r.world.Stack.CancelledAt < 600 {
		t.Errorf("cancelled at %d s, before the limit", *r.world.Stack.CancelledAt)
	}
}

func TestDeployLeavesTheTagWhileTheStackIsInProgress(t *testing.T) {
	w := newWorld()
	w.Stack.AfterUpdate = []fakeaws.Phase{{At: 0, Status: "UPDATE_IN_PROGRESS"}}
	w.Stack.AfterCancel = []fakeaws.Phase{{At: 0, Status: "UPDATE_ROLLBACK_IN_PROGRESS"}}
	r := run(t, w, "deploy.sh", deployEnv...)
	if r.err == nil || !strings.Contains(r.out, "is still UPDATE_ROLLBACK_IN_PROGRESS 600s after the cancel: /shop/prod/image-tag was left at abc123") ||
		!strings.Contains(r.out, "aws ssm put-parameter --name /shop/prod/image-tag --value old456 --overwrite") {
		t.Fatalf("err %v, output %s", r.err, r.out)
	}
	if r.world.Parameters["/shop/prod/image-tag"] != "abc123" || r.world.Now < 1200 {
		t.Errorf("the tag was restored while the stack was in progress (at %d s): %v", r.world.Now, r.calls)
	}
}

func TestDeployFailsAndRestoresTheTagWhenTheStackRollsBack(t *testing.T) {
	w := newWorld()
	w.Stack.AfterUpdate = []fakeaws.Phase{{At: 0, Status: "UPDATE_IN_PROGRESS"}, {At: 60, Status: "UPDATE_ROLLBACK_IN_PROGRESS"}, {At: 90, Status: "UPDATE_ROLLBACK_COMPLETE"}}
	r := run(t, w, "deploy.sh", deployEnv...)
	if r.err == nil || !strings.Contains(r.out, "did not update (UPDATE_ROLLBACK_COMPLETE)") {
		t.Fatalf("err %v, output %s", r.err, r.out)
	}
	if r.world.Parameters["/shop/prod/image-tag"] != "old456" || r.called("cancel-update-stack") || r.called("describe-services") {
		t.Errorf("calls %v", r.calls)
	}
}

func TestDeployFailsWhenECSRolledADeploymentBack(t *testing.T) {
	for want, phase := range map[string]fakeaws.ServicePhase{
		// CloudFormation says complete, but the circuit breaker put the old image back.
		"web: deployment COMPLETED running " + oldImage + ", want COMPLETED running " + newImage: {Image: oldImage, Desired: 2, Running: 2, Healthy: 2},
		"web: deployment FAILED running " + newImage + ", want COMPLETED running " + newImage:    {Image: newImage, Rollout: "FAILED", Desired: 2, Running: 1, Healthy: 1},
	} {
		w := newWorld()
		w.Services["web"].Phases = []fakeaws.ServicePhase{phase}
		r := run(t, w, "deploy.sh", deployEnv...)
		if r.err == nil || !strings.Contains(r.out, want) {
			t.Fatalf("err %v, output %s", r.err, r.out)
		}
		if r.world.Parameters["/shop/prod/image-tag"] != "old456" || r.world.Now > 60 {
			t.Errorf("want the tag restored at once (at 60 s), got %v at %d s", r.world.Parameters, r.world.Now)
		}
	}
}

func TestDeployFailsWhenTheTagParameterWasOverwritten(t *testing.T) {
	w := newWorld()
	w.Stack.WritesParameters = map[string]string{"/shop/prod/image-tag": "3f2c1e9"} // a template value written back
	r := run(t, w, "deploy.sh", deployEnv...)
	if r.err == nil || !strings.Contains(r.out, "/shop/prod/image-tag holds 3f2c1e9, not abc123: something else wrote it during the release") {
		t.Fatalf("err %v, output %s", r.err, r.out)
	}
}

func TestDeployWithoutStackChangesStillChecksTheServices(t *testing.T) {
	w := firstRelease()
	w.Stack.NoChanges = true
	r := run(t, w, "deploy.sh", deployEnv...)
	if r.err != nil || !strings.Contains(r.out, "shop-prod-compute already resolves abc123") || r.world.Now < 300 {
		t.Fatalf("err %v at %d s, output %s", r.err, r.world.Now, r.out)
	}
}

func TestDeploySaysWhichCallFailed(t *testing.T) {
	for call, want := range map[string]string{
		"ssm get-parameter": "could not read /shop/prod/image-tag",
		"cloudformation describe-stacks --stack-name shop-prod-compute --query Stacks[0].Parameters": "could not read the parameters of shop-prod-compute",
		"ssm put-parameter --name /shop/prod/image-tag --value abc123":                               "could not write abc123 into /shop/prod/image-tag",
		"cloudformation update-stack":  "updating shop-prod-compute failed: AccessDenied",
		"application-autoscaling":      "could not read the scalable target of web",
		"ecs describe-task-definition": "could not read the task definition arn:aws:ecs:eu-west-1:1:task-definition/web:1",
	} {
		w := newWorld()
		w.Fail = map[string]string{call: "AccessDenied"}
		r := run(t, w, "deploy.sh", deployEnv...)
		if r.err == nil || !strings.Contains(r.out, want) {
			t.Errorf("%s failing: err %v, output %s", call, r.err, r.out)
		}
	}
}

// The release tag: added to the released image once every service runs it,
// never before, never after a rollback.

var releaseTag = regexp.MustCompile(`^release-[0-9]{14}$`)

// released returns the tags the deploy added, and the image each went on.
func released(r result) map[string]string {
	out := map[string]string{}
	for tag, image := range r.world.Added {
		out[tag] = image
	}
	return out
}

func TestDeployTagsTheReleasedImageOnceTheServicesRunIt(t *testing.T) {
	w := firstRelease()
	w.Now = 1_800_000_000 // 2027-01-15 08:00:00 UTC
	r := run(t, w, "deploy.sh", deployEnv...)
	if r.err != nil {
		t.Fatalf("deploy failed: %v\n%s", r.err, r.out)
	}
	tags := released(r)
	if len(tags) != 1 {
		t.Fatalf("added tags %v, want one release tag on abc123", tags)
	}
	for tag, image := range tags {
		if !releaseTag.MatchString(tag) || image != "abc123" || !strings.HasPrefix(tag, "release-20270115080") {
			t.Errorf("added %s to %s, want release-<UTC yyyymmddHHMMSS> (2027-01-15 08:0x) on abc123", tag, image)
		}
		if !strings.Contains(r.out, newImage+" ("+fakeaws.Digest(fakeaws.ImageIndex("abc123"))+") is now also "+tag) {
			t.Errorf("output %s", r.out)
		}
	}
	// After the last check of the services, which ran their minimum at 300 s.
	put := r.index("ecr put-image --repository-name shop --image-tag release-")
	if put < 0 || put < r.lastIndex("ecs describe-services") || put < r.lastIndex("elbv2 describe-target-health") {
		t.Errorf("put-image (call %d) before the services were verified: %v", put, r.calls)
	}
	// The whole image index, not one platform's manifest.
	if !r.called("ecr batch-get-image --repository-name shop --image-ids imageTag=abc123 --accepted-media-types application/vnd.oci.image.index.v1+json") {
		t.Errorf("batch-get-image without the index media type: %v", r.calls)
	}
	if !r.called("--image-digest " + fakeaws.Digest(fakeaws.ImageIndex("abc123")) + " --image-manifest-media-type application/vnd.oci.image.index.v1+json") {
		t.Errorf("put-image without the digest and media type: %v", r.calls)
	}
}

func TestDeployDoesNotTagWhatItDidNotRelease(t *testing.T) {
	for name, breaks := range map[string]func(*fakeaws.World){
		"stack rolled back": func(w *fakeaws.World) {
			w.Stack.AfterUpdate = []fakeaws.Phase{{At: 0, Status: "UPDATE_IN_PROGRESS"}, {At: 60, Status: "UPDATE_ROLLBACK_IN_PROGRESS"}, {At: 90, Status: "UPDATE_ROLLBACK_COMPLETE"}}
		},
		"circuit breaker rolled back": func(w *fakeaws.World) {
			w.Services["web"].Phases = steady(oldImage, 2)
		},
		"below the minimum": func(w *fakeaws.World) {
			w.Services["web"].Phases = []fakeaws.ServicePhase{{Image: newImage, Desired: 1, Running: 1, Healthy: 1}}
		},
		"update cancelled": func(w *fakeaws.World) {
			w.Stack.AfterUpdate = []fakeaws.Phase{{At: 0, Status: "UPDATE_IN_PROGRESS"}}
		},
		"update failed to start": func(w *fakeaws.World) {
			w.Fail = map[string]string{"cloudformation update-stack": "AccessDenied"}
		},
	} {
		w := newWorld()
		breaks(w)
		r := run(t, w, "deploy.sh", deployEnv...)
		if r.err == nil {
			t.Fatalf("%s: deploy succeeded:\n%s", name, r.out)
		}
		if r.called("ecr batch-get-image") || r.called("ecr put-image") || len(r.world.Added) > 0 {
			t.Errorf("%s: a release tag was added: %v", name, r.calls)
		}
	}
}

func TestDeployThatCannotTagSaysTheReleaseWentOut(t *testing.T) {
	for call, why := range map[string]string{
		"ecr put-image":       "AccessDeniedException",
		"ecr batch-get-image": "AccessDeniedException",
	} {
		w := newWorld()
		w.Fail = map[string]string{call: why}
		r := run(t, w, "deploy.sh", deployEnv...)
		exit, ok := r.err.(*exec.ExitError)
		if !ok || exit.ExitCode() != 3 {
			t.Fatalf("%s failing: err %v, want exit status 3 (released, not tagged)\n%s", call, r.err, r.out)
		}
		for _, want := range []string{
			"THE RELEASE WENT OUT (web worker beat run " + newImage + "), BUT TAGGING IT release-",
			why,
			"aws ecr put-image --repository-name shop --image-tag release-",
			"released " + newImage + " to: web worker beat, but it is not tagged release-",
		} {
			if !strings.Contains(r.out, want) {
				t.Errorf("%s failing: no %q in output:\n%s", call, want, r.out)
			}
		}
		// The services run the new image: the tag parameter stays.
		if r.world.Parameters["/shop/prod/image-tag"] != "abc123" || len(r.world.Added) > 0 {
			t.Errorf("%s failing: parameter %v, added %v", call, r.world.Parameters, r.world.Added)
		}
	}
	// The image is not found (removed meanwhile): batch-get-image answers
	// with a failure, not an error.
	w := newWorld()
	w.Images = []string{"old456"}
	r := run(t, w, "deploy.sh", deployEnv...)
	if exit, ok := r.err.(*exec.ExitError); !ok || exit.ExitCode() != 3 || !strings.Contains(r.out, "batch-get-image found no image abc123 in shop") {
		t.Errorf("image gone: err %v\n%s", r.err, r.out)
	}
}

func TestDeployTagsTheImageTheServicesRunEvenWhenTheParameterWasOverwritten(t *testing.T) {
	w := newWorld()
	w.Stack.WritesParameters = map[string]string{"/shop/prod/image-tag": "3f2c1e9"}
	r := run(t, w, "deploy.sh", deployEnv...)
	if r.err == nil || len(r.world.Added) != 1 {
		t.Errorf("err %v, added %v: the services run abc123, which must be kept\n%s", r.err, r.world.Added, r.out)
	}
}
