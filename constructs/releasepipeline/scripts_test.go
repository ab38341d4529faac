package releasepipeline

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeAWS is a stand-in for the aws (and docker) CLI on PATH: each call is
// logged, and answered with the output of the first rule whose pattern is a
// substring of its arguments, with that rule's exit code.
type fakeAWS struct {
	t     *testing.T
	dir   string
	rules []rule
}

type rule struct {
	pattern, output string
	exit            int
}

func newFake(t *testing.T, rules ...rule) *fakeAWS {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is needed to run the release scripts")
	}
	f := &fakeAWS{t: t, dir: t.TempDir(), rules: rules}
	var script strings.Builder
	script.WriteString("#!/usr/bin/env bash\nargs=\"$*\"\nprintf '%s %s\\n' \"$(basename \"$0\")\" \"$args\" >> \"$FAKE_LOG\"\n")
	for i, r := range rules {
		out := filepath.Join(f.dir, "out"+string(rune('a'+i)))
		if err := os.WriteFile(out, []byte(r.output), 0o644); err != nil {
			t.Fatal(err)
		}
		pattern := strings.ReplaceAll(r.pattern, "'", `'\''`)
		script.WriteString("if [[ \"$(basename \"$0\") $args\" == *'" + pattern + "'* ]]; then cat '" + out + "'; exit " + string(rune('0'+r.exit)) + "; fi\n")
	}
	script.WriteString("exit 0\n")
	for _, name := range []string{"aws", "docker", "sleep"} {
		if err := os.WriteFile(filepath.Join(f.dir, name), []byte(script.String()), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// run runs script with env and returns its output, its exit error and the
// calls it made.
func (f *fakeAWS) run(script string, env ...string) (string, error, []string) {
	f.t.Helper()
	log := filepath.Join(f.dir, "calls.log")
	path, err := filepath.Abs(filepath.Join("scripts", script))
	if err != nil {
		f.t.Fatal(err)
	}
	cmd := exec.Command("bash", path)
	cmd.Dir = f.t.TempDir()
	cmd.Env = append([]string{"PATH=" + f.dir + ":" + os.Getenv("PATH"), "FAKE_LOG=" + log, "AWS_REGION=eu-west-1"}, env...)
	out, err := cmd.CombinedOutput()
	calls, _ := os.ReadFile(log)
	return string(out), err, strings.Split(strings.TrimSpace(string(calls)), "\n")
}

func called(calls []string, substring string) bool {
	for _, c := range calls {
		if strings.Contains(c, substring) {
			return true
		}
	}
	return false
}

const taskDefinition = `{"family":"shop-prod-migrate","taskDefinitionArn":"arn:aws:ecs:eu-west-1:1:task-definition/shop-prod-migrate:7",
"revision":7,"status":"ACTIVE","executionRoleArn":"arn:exec","taskRoleArn":"arn:task","networkMode":"awsvpc","cpu":"512","memory":"1024",
"requiresCompatibilities":["FARGATE"],"runtimePlatform":{"cpuArchitecture":"ARM64"},
"containerDefinitions":[{"name":"django","image":"1.dkr.ecr.eu-west-1.amazonaws.com/shop:old","command":["python","manage.py","migrate","--noinput"]}]}`

var migrateEnv = []string{"CLUSTER=shop", "FAMILY=shop-prod-migrate", "IMAGE=1.dkr.ecr.eu-west-1.amazonaws.com/shop:abc123",
	"SUBNETS=subnet-1,subnet-2", "SECURITY_GROUP=sg-1", "POLL_SECONDS=0"}

func TestMigrateRunsTheNewImageAndSucceedsOnExitZero(t *testing.T) {
	f := newFake(t,
		rule{pattern: "ecs describe-task-definition", output: taskDefinition},
		rule{pattern: "ecs register-task-definition", output: "arn:aws:ecs:eu-west-1:1:task-definition/shop-prod-migrate:8"},
		rule{pattern: "ecs run-task", output: "arn:aws:ecs:eu-west-1:1:task/shop/0123abcd\tNone"},
		rule{pattern: "ecs describe-tasks", output: "STOPPED\t0\tEssential container in task exited"},
	)
	out, err, calls := f.run("migrate.sh", migrateEnv...)
	if err != nil {
		t.Fatalf("migrate failed: %v\n%s", err, out)
	}
	// The registered revision runs the new image, in the same family, with the same roles.
	var register string
	for _, c := range calls {
		if strings.Contains(c, "register-task-definition") {
			register = c
		}
	}
	input := register[strings.Index(register, "--cli-input-json ")+len("--cli-input-json ") : strings.Index(register, " --query")]
	var revision map[string]any
	if err := json.Unmarshal([]byte(input), &revision); err != nil {
		t.Fatalf("register input %q: %v", input, err)
	}
	containers := revision["containerDefinitions"].([]any)
	if img := containers[0].(map[string]any)["image"]; img != "1.dkr.ecr.eu-west-1.amazonaws.com/shop:abc123" {
		t.Errorf("migrations run image %v, want the new one", img)
	}
	if revision["family"] != "shop-prod-migrate" || revision["executionRoleArn"] != "arn:exec" || revision["taskRoleArn"] != "arn:task" {
		t.Errorf("revision %v", revision)
	}
	if _, ok := revision["revision"]; ok {
		t.Errorf("read-only fields passed to register-task-definition: %v", revision)
	}
	if !called(calls, "ecs run-task --cluster shop --task-definition arn:aws:ecs:eu-west-1:1:task-definition/shop-prod-migrate:8 --launch-type FARGATE") ||
		!called(calls, "subnets=[subnet-1,subnet-2],securityGroups=[sg-1],assignPublicIp=DISABLED") {
		t.Errorf("run-task calls %v", calls)
	}
	if !strings.Contains(out, "migrations succeeded") || !strings.Contains(out, "/tasks/0123abcd/logs?region=eu-west-1") {
		t.Errorf("output %s", out)
	}
}

func TestMigrateFailsOnNonZeroExit(t *testing.T) {
	f := newFake(t,
		rule{pattern: "ecs describe-task-definition", output: taskDefinition},
		rule{pattern: "ecs register-task-definition", output: "arn:rev8"},
		rule{pattern: "ecs run-task", output: "arn:aws:ecs:eu-west-1:1:task/shop/0123abcd\tNone"},
		rule{pattern: "ecs describe-tasks", output: "STOPPED\t1\tEssential container in task exited"},
	)
	out, err, _ := f.run("migrate.sh", migrateEnv...)
	if err == nil {
		t.Fatalf("migrate succeeded on exit code 1:\n%s", out)
	}
	if !strings.Contains(out, "migrations failed: exit code 1") || !strings.Contains(out, "services were not updated") || !strings.Contains(out, "/tasks/0123abcd/logs") {
		t.Errorf("output %s", out)
	}
}

func TestMigrateFailsWhenTheTaskNeverStarts(t *testing.T) {
	f := newFake(t,
		rule{pattern: "ecs describe-task-definition", output: taskDefinition},
		rule{pattern: "ecs register-task-definition", output: "arn:rev8"},
		rule{pattern: "ecs run-task", output: "None\tRESOURCE:ENI"},
	)
	out, err, calls := f.run("migrate.sh", migrateEnv...)
	if err == nil || !strings.Contains(out, "the migration task did not start: RESOURCE:ENI") {
		t.Fatalf("err %v, output %s", err, out)
	}
	if called(calls, "describe-tasks") {
		t.Errorf("waited for a task that never started")
	}
}

func TestMigrateFailsWhenTheContainerNeverRan(t *testing.T) {
	// A task that stops before its container runs (image pull failure) has no exit code.
	f := newFake(t,
		rule{pattern: "ecs describe-task-definition", output: taskDefinition},
		rule{pattern: "ecs register-task-definition", output: "arn:rev8"},
		rule{pattern: "ecs run-task", output: "arn:aws:ecs:eu-west-1:1:task/shop/0123abcd\tNone"},
		rule{pattern: "ecs describe-tasks", output: "STOPPED\tNone\tCannotPullContainerError"},
	)
	out, err, _ := f.run("migrate.sh", migrateEnv...)
	if err == nil || !strings.Contains(out, "exit code None (CannotPullContainerError)") {
		t.Fatalf("err %v, output %s", err, out)
	}
}

var deployEnv = []string{"STACK=shop-prod-compute", "TAG_PARAMETER=/shop/prod/image-tag", "IMAGE_TAG=abc123",
	"IMAGE=repo:abc123", "CLUSTER=shop", "SERVICES=web worker beat", "CFN_ROLE_ARN=arn:cfn"}

func TestDeployUpdatesTheComputeStackAndChecksEveryService(t *testing.T) {
	f := newFake(t,
		rule{pattern: "ssm get-parameter", output: "old456"},
		rule{pattern: "cloudformation describe-stacks", output: "SsmParameterValueImageTag\tBootstrapVersion"},
		rule{pattern: "ecs describe-services", output: "COMPLETED\tarn:td:9"},
		rule{pattern: "ecs describe-task-definition", output: "repo:abc123"},
	)
	out, err, calls := f.run("deploy.sh", deployEnv...)
	if err != nil {
		t.Fatalf("deploy failed: %v\n%s", err, out)
	}
	if !called(calls, "ssm put-parameter --name /shop/prod/image-tag --value abc123 --overwrite") ||
		!called(calls, "cloudformation update-stack --stack-name shop-prod-compute --use-previous-template --parameters ParameterKey=SsmParameterValueImageTag,UsePreviousValue=true ParameterKey=BootstrapVersion,UsePreviousValue=true --role-arn arn:cfn") ||
		!called(calls, "cloudformation wait stack-update-complete --stack-name shop-prod-compute") {
		t.Errorf("calls %v", calls)
	}
	for _, service := range []string{"web", "worker", "beat"} {
		if !called(calls, "ecs describe-services --cluster shop --services "+service) {
			t.Errorf("%s was not checked", service)
		}
	}
	if called(calls, "--value old456") {
		t.Errorf("the tag was restored after a good deploy")
	}
}

func TestDeployFailsAndRestoresTheTagWhenTheStackRollsBack(t *testing.T) {
	f := newFake(t,
		rule{pattern: "ssm get-parameter", output: "old456"},
		rule{pattern: "cloudformation describe-stacks --stack-name shop-prod-compute --query Stacks[0].StackStatus", output: "UPDATE_ROLLBACK_COMPLETE"},
		rule{pattern: "cloudformation describe-stacks", output: "SsmParameterValueImageTag"},
		rule{pattern: "cloudformation wait", exit: 1},
	)
	out, err, calls := f.run("deploy.sh", deployEnv...)
	if err == nil || !strings.Contains(out, "did not update (UPDATE_ROLLBACK_COMPLETE)") {
		t.Fatalf("err %v, output %s", err, out)
	}
	if !called(calls, "ssm put-parameter --name /shop/prod/image-tag --value old456 --overwrite") {
		t.Errorf("the tag was not restored: %v", calls)
	}
}

func TestDeployFailsWhenECSRolledADeploymentBack(t *testing.T) {
	// CloudFormation says complete, but the circuit breaker put the old image back.
	f := newFake(t,
		rule{pattern: "ssm get-parameter", output: "old456"},
		rule{pattern: "cloudformation describe-stacks", output: "SsmParameterValueImageTag"},
		rule{pattern: "ecs describe-services", output: "FAILED\tarn:td:8"},
		rule{pattern: "ecs describe-task-definition", output: "repo:old456"},
	)
	out, err, calls := f.run("deploy.sh", deployEnv...)
	if err == nil || !strings.Contains(out, "web: deployment FAILED running repo:old456, want COMPLETED running repo:abc123") {
		t.Fatalf("err %v, output %s", err, out)
	}
	if !called(calls, "--value old456 --overwrite") {
		t.Errorf("the tag was not restored")
	}
}

func TestPublishSyncsAndInvalidates(t *testing.T) {
	f := newFake(t, rule{pattern: "cloudfront create-invalidation", output: "I123"})
	dir := t.TempDir()
	build := filepath.Join(dir, "apps", "web", "dist")
	os.MkdirAll(filepath.Join(build, "assets"), 0o755)
	os.WriteFile(filepath.Join(build, "index.html"), []byte("<html>"), 0o644)
	out, err, calls := f.run("publish.sh", "FRONTENDS="+build+" assets/ web-bucket E123\n")
	if err != nil {
		t.Fatalf("publish failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		"s3 sync " + build + " s3://web-bucket --exclude * --include assets/* --cache-control public,max-age=31536000,immutable",
		"s3 sync " + build + " s3://web-bucket --exclude assets/* --cache-control no-cache",
		"cloudfront create-invalidation --distribution-id E123 --paths /*",
	} {
		if !called(calls, want) {
			t.Errorf("no call %q in %v", want, calls)
		}
	}
	out, err, _ = f.run("publish.sh", "FRONTENDS="+filepath.Join(dir, "missing")+" assets/ web-bucket E123")
	if err == nil || !strings.Contains(out, "index.html is missing") {
		t.Errorf("publishing a missing build: err %v, output %s", err, out)
	}
}

func TestBuildSkipsACommitAlreadyBuilt(t *testing.T) {
	env := []string{"REPOSITORY_URI=1.dkr.ecr.eu-west-1.amazonaws.com/shop", "IMAGE_TAG=abc123", "PLATFORM=linux/arm64",
		"DOCKERFILE=compose/production/django/Dockerfile", "CONTEXT=.", "CHECK_MIGRATIONS=true", "CHECK_SETTINGS=config.settings.test"}
	f := newFake(t, rule{pattern: "ecr describe-images", output: "{}"})
	out, err, calls := f.run("build.sh", env...)
	if err != nil {
		t.Fatalf("build failed: %v\n%s", err, out)
	}
	if called(calls, "buildx build") || !strings.Contains(out, "already built") {
		t.Errorf("rebuilt an existing tag: %v", calls)
	}
	if !called(calls, "docker run --rm --platform linux/arm64 -e DJANGO_SETTINGS_MODULE=config.settings.test -e DJANGO_SECRET_KEY=makemigrations-check 1.dkr.ecr.eu-west-1.amazonaws.com/shop:abc123 python manage.py makemigrations --check --dry-run") {
		t.Errorf("no migrations check: %v", calls)
	}

	f = newFake(t, rule{pattern: "ecr describe-images", exit: 1}, rule{pattern: "docker run", exit: 1})
	out, err, calls = f.run("build.sh", env...)
	if !called(calls, "buildx build --platform linux/arm64 --file compose/production/django/Dockerfile --cache-from type=registry,ref=1.dkr.ecr.eu-west-1.amazonaws.com/shop:buildcache") ||
		!called(calls, "--tag 1.dkr.ecr.eu-west-1.amazonaws.com/shop:abc123 --push .") {
		t.Errorf("build calls %v", calls)
	}
	if err == nil {
		t.Errorf("a model change without a migration did not fail the build:\n%s", out)
	}
}

func TestPropsValidation(t *testing.T) {
	for props, want := range map[*Props]string{
		{}: `releasepipeline.Props.ConnectionArn: "" is not a CodeConnections connection ARN`,
		{ConnectionArn: "arn:aws:codeconnections:eu-west-1:123456789012:connection/0f0e0d0c-0b0a-0908-0706-050403020100", Repository: "shop"}:      `releasepipeline.Props.Repository: "shop" is not a repository as owner/name`,
		{ConnectionArn: "arn:aws:codeconnections:eu-west-1:123456789012:connection/0f0e0d0c-0b0a-0908-0706-050403020100", Repository: "acme/shop"}: "releasepipeline.Props.Branch: required",
	} {
		if _, err := New(nil, "Release", props); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %v, want %s...", err, want)
		}
	}
}

func TestScriptCommandCarriesTheScript(t *testing.T) {
	cmd := scriptCommand("migrate.sh")
	if !strings.HasPrefix(cmd, "echo ") || !strings.HasSuffix(cmd, " | base64 -d > /tmp/migrate.sh && bash /tmp/migrate.sh") {
		t.Errorf("command %.80s...", cmd)
	}
}
