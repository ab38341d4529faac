package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/djangocdk/djangocdk/stacks"
)

// stages returns the pipeline's stages by name, in order.
func stages(t *testing.T, tmpl map[string]any) ([]string, map[string]map[string]any) {
	t.Helper()
	_, pipeline := only(t, tmpl, "AWS::CodePipeline::Pipeline")
	var names []string
	byName := map[string]map[string]any{}
	for _, s := range asList(props(pipeline)["Stages"]) {
		name := s["Name"].(string)
		names = append(names, name)
		byName[name] = asList(s["Actions"])[0]
	}
	return names, byName
}

// buildScripts returns the scripts a CodeBuild project's buildspec runs.
func buildScripts(t *testing.T, project map[string]any) map[string]string {
	t.Helper()
	spec := props(project)["Source"].(map[string]any)["BuildSpec"].(string)
	scripts := map[string]string{}
	for _, m := range regexp.MustCompile(`echo ([A-Za-z0-9+/=]+) \| base64 -d > /tmp/release/([a-z-]+\.sh)`).FindAllStringSubmatch(spec, -1) {
		body, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatal(err)
		}
		scripts[m[2]] = string(body)
	}
	return scripts
}

func TestPipelineStages(t *testing.T) {
	for _, env := range environments {
		t.Run(env, func(t *testing.T) {
			tmpl := synth(t, env).template(t, stacks.PipelineLayer)
			_, pipeline := only(t, tmpl, "AWS::CodePipeline::Pipeline")
			if p := props(pipeline); p["PipelineType"] != "V2" || p["ExecutionMode"] != "QUEUED" {
				t.Errorf("pipeline type %v, execution mode %v; want V2 and QUEUED (one release migrates at a time)", p["PipelineType"], p["ExecutionMode"])
			}
			names, actions := stages(t, tmpl)
			// Migrate and deploy are one action in one stage: QUEUED mode locks
			// a stage, so two releases can never interleave them.
			want := "Source Build Release"
			if env == "production" {
				want = "Source Build Approve Release"
			}
			if got := strings.Join(names, " "); got != want {
				t.Errorf("stages %s, want %s", got, want)
			}
			source := jsonOf(actions["Source"]["Configuration"])
			branch := map[string]string{"dev": "develop", "staging": "main", "production": "release"}[env]
			if !strings.Contains(source, `"FullRepositoryId":"acme/myapp"`) || !strings.Contains(source, `"BranchName":"`+branch+`"`) || !strings.Contains(source, "arn:aws:codeconnections:") {
				t.Errorf("source %s", source)
			}
			if env == "production" && !strings.Contains(jsonOf(actions["Approve"]), `"Provider":"Manual"`) {
				t.Errorf("production releases without approval")
			}
			// Build and Release both work on this commit's image.
			for _, stage := range []string{"Build", "Release"} {
				config := jsonOf(actions[stage]["Configuration"])
				if !strings.Contains(config, `\"name\":\"IMAGE_TAG\",\"type\":\"PLAINTEXT\",\"value\":\"#{Source.CommitId}\"`) {
					t.Errorf("%s does not use the commit's image: %s", stage, config)
				}
			}
		})
	}
}

func TestPipelineRunsTheTestedScripts(t *testing.T) {
	tmpl := synth(t, "staging").template(t, stacks.PipelineLayer)
	want := map[string][]string{"ReleaseBuild": {"build.sh"}, "ReleaseReleaseProject": {"release.sh", "run-task.sh", "deploy.sh", "publish.sh"}}
	for prefix, scripts := range want {
		got := buildScripts(t, byPrefix(t, tmpl, "AWS::CodeBuild::Project", prefix))
		if len(got) != len(scripts) {
			t.Errorf("%s runs %d scripts, want %v", prefix, len(got), scripts)
		}
		for _, name := range scripts {
			file, err := os.ReadFile("constructs/releasepipeline/scripts/" + name)
			if err != nil {
				t.Fatal(err)
			}
			if got[name] != string(file) {
				t.Errorf("%s does not run scripts/%s as tested", prefix, name)
			}
		}
	}
}

func TestPipelineProjects(t *testing.T) {
	tmpl := synth(t, "production").template(t, stacks.PipelineLayer)
	build := props(byPrefix(t, tmpl, "AWS::CodeBuild::Project", "ReleaseBuild"))
	env := jsonOf(build["Environment"])
	for _, want := range []string{`"Image":"aws/codebuild/amazonlinux-aarch64-standard:3.0"`, `"PrivilegedMode":true`, `"Type":"ARM_CONTAINER"`,
		`{"Name":"PLATFORM","Type":"PLAINTEXT","Value":"linux/arm64"}`, `{"Name":"CHECK_SETTINGS","Type":"PLAINTEXT","Value":"config.settings.test"}`,
		`{"Name":"DOCKERFILE","Type":"PLAINTEXT","Value":"compose/production/django/Dockerfile"}`} {
		if !strings.Contains(env, want) {
			t.Errorf("build environment lacks %s: %s", want, env)
		}
	}
	if !strings.Contains(jsonOf(build["Source"]), `apps/web/dist/**/*`) {
		t.Errorf("the frontend build is not an artifact")
	}
	release := props(byPrefix(t, tmpl, "AWS::CodeBuild::Project", "ReleaseReleaseProject"))
	for _, want := range []string{named(`{"Name":"MIGRATE_FAMILY","Type":"PLAINTEXT","Value":"{project}-production-migrate"}`),
		named(`{"Name":"STATIC_FAMILY","Type":"PLAINTEXT","Value":"{project}-production-static"}`), "MigrationTasks", named(`{"Name":"SUBNETS","Type":"PLAINTEXT","Value":{"Fn::Join":[",",{"Ref":"SsmParameterValue{project}productionsharednetworkPrivateSubnetIds`),
		named(`{"Name":"STACK","Type":"PLAINTEXT","Value":"{project}-production-compute"}`),
		named(`{"Name":"TAG_PARAMETER","Type":"PLAINTEXT","Value":"/{project}/production/image-tag"}`),
		`{"Name":"TASK_TIMEOUT_SECONDS","Type":"PLAINTEXT","Value":"1800"}`, `{"Name":"DEPLOY_TIMEOUT_SECONDS","Type":"PLAINTEXT","Value":"1800"}`,
		`{"Name":"PUBLISH_FRONTENDS","Type":"PLAINTEXT","Value":"true"}`,
		"sharedcomputeWebServiceName", "sharedcomputeBeatServiceName", "sharedcomputeWorkerCeleryServiceName", "apps/web/dist assets/ ", "sharedfrontendWebDistributionId", "cfn-exec-role"} {
		if !strings.Contains(jsonOf(release["Environment"]), want) {
			t.Errorf("release environment lacks %s: %s", want, jsonOf(release["Environment"]))
		}
	}
	// Startable by hand (no source, a known name), one at a time, and long
	// enough for two bounded tasks and three bounded deploy waits.
	if release["Name"] != named("{project}-production-release") || jsonOf(release["Source"]) == "" || !strings.Contains(jsonOf(release["Source"]), `"Type":"NO_SOURCE"`) ||
		release["ConcurrentBuildLimit"] != 1.0 || release["TimeoutInMinutes"] != float64(2*30+3*30+15) {
		t.Errorf("release project %s", jsonOf(release))
	}
	// The frontends build on a pinned Node LTS, not the image's default.
	if spec := build["Source"].(map[string]any)["BuildSpec"].(string); !strings.Contains(spec, `"runtime-versions": {
        "nodejs": "22"`) {
		t.Errorf("the build does not pin Node.js 22: %s", spec)
	}
	for id, p := range resources(tmpl, "AWS::CodeBuild::Project") {
		if !strings.Contains(jsonOf(props(p)["EncryptionKey"]), "Key") || !strings.Contains(jsonOf(props(p)["LogsConfig"]), "Logs") {
			t.Errorf("%s: not encrypted with the pipeline key or not logging to its log group", id)
		}
	}
	for id, g := range resources(tmpl, "AWS::Logs::LogGroup") {
		if props(g)["RetentionInDays"] != 365.0 || g["DeletionPolicy"] != "Retain" {
			t.Errorf("build log group %s: %v", id, g)
		}
	}
	artifacts := props(byPrefix(t, tmpl, "AWS::S3::Bucket", "ReleaseArtifacts"))
	if enc := jsonOf(artifacts["BucketEncryption"]); !strings.Contains(enc, `"SSEAlgorithm":"aws:kms"`) {
		t.Errorf("artifacts bucket encryption %s", enc)
	}
}

func TestPipelineRoles(t *testing.T) {
	tmpl := synth(t, "staging").template(t, stacks.PipelineLayer)
	policy := func(prefix string) string {
		return jsonOf(props(byPrefix(t, tmpl, "AWS::IAM::Policy", prefix))["PolicyDocument"])
	}
	release := policy("ReleaseReleaseProjectRoleDefaultPolicy")
	for _, want := range []string{`"ecs:RunTask"`, named(`task-definition/{project}-staging-migrate:*`), named(`task-definition/{project}-staging-static:*`),
		`"ArnEquals":{"ecs:cluster"`, `"iam:PassRole"`, `"ecs:DescribeTasks"`, `"ecs:StopTask"`, `"ecs:ListTasks"`,
		`"ssm:PutParameter"`, named(`parameter/{project}/staging/image-tag`), `"cloudformation:UpdateStack"`, `"cloudformation:CancelUpdateStack"`, named(`stack/{project}-staging-compute/*`),
		`"iam:PassedToService":"cloudformation.amazonaws.com"`, `"cloudfront:CreateInvalidation"`, `"ecs:DescribeServices"`,
		`"application-autoscaling:DescribeScalableTargets"`, `"elasticloadbalancing:DescribeTargetHealth"`, `"ecr:DescribeImages"`,
		`"ssm:GetParameters"`, `parameter/cdk-bootstrap/*`} {
		if !strings.Contains(release, want) {
			t.Errorf("release role lacks %s", want)
		}
	}
	if strings.Contains(release, "ecs:UpdateService") || strings.Contains(release, `"Action":"*"`) {
		t.Errorf("release role too broad: %s", release)
	}
	// ECR: describe the image, and add the release-* tag to it (its
	// manifest put back under a new tag), on the repository only; no layer
	// upload, so no new image.
	var document struct{ Statement []map[string]any }
	if err := json.Unmarshal([]byte(release), &document); err != nil {
		t.Fatal(err)
	}
	var ecrActions []string
	for _, s := range document.Statement {
		actions, _ := s["Action"].([]any)
		if a, ok := s["Action"].(string); ok {
			actions = []any{a}
		}
		for _, a := range actions {
			if strings.HasPrefix(a.(string), "ecr:") {
				ecrActions = append(ecrActions, a.(string))
				if r := jsonOf(s["Resource"]); !strings.Contains(r, named(`:repository/{project}-staging-django"`)) || strings.Contains(r, "*") {
					t.Errorf("%s on %s, want the repository only", a, r)
				}
			}
		}
	}
	sort.Strings(ecrActions)
	if got := strings.Join(ecrActions, " "); got != "ecr:BatchGetImage ecr:DescribeImages ecr:PutImage" {
		t.Errorf("release role's ECR actions %s, want ecr:BatchGetImage ecr:DescribeImages ecr:PutImage", got)
	}
	build := policy("ReleaseBuildRoleDefaultPolicy")
	if !strings.Contains(build, "ecr:PutImage") || !strings.Contains(build, "ecr:DescribeImages") || strings.Contains(build, "ecs:") || strings.Contains(build, "ssm:") {
		t.Errorf("build role %s", build)
	}
}

func TestPipelineNotifications(t *testing.T) {
	tmpl := synth(t, "production").template(t, stacks.PipelineLayer)
	_, topic := only(t, tmpl, "AWS::SNS::Topic")
	if !strings.Contains(jsonOf(props(topic)["KmsMasterKeyId"]), "Key") {
		t.Errorf("notifications topic is not encrypted with the pipeline key")
	}
	_, rule := only(t, tmpl, "AWS::CodeStarNotifications::NotificationRule")
	events := jsonOf(props(rule)["EventTypeIds"])
	if !strings.Contains(events, "codepipeline-pipeline-pipeline-execution-failed") || !strings.Contains(events, "codepipeline-pipeline-manual-approval-needed") ||
		!strings.Contains(jsonOf(props(rule)["Targets"]), "Notifications") {
		t.Errorf("notification rule %v", props(rule))
	}
	_, key := only(t, tmpl, "AWS::KMS::Key")
	if props(key)["EnableKeyRotation"] != true || !strings.Contains(jsonOf(props(key)["KeyPolicy"]), "codestar-notifications.amazonaws.com") {
		t.Errorf("pipeline key %v", props(key))
	}
}

// TestReleaseByHand checks the documented manual release: the
// ReleaseCommand output starts the Release project by its name with
// IMAGE_TAG, and the project gives release.sh every other variable it
// requires (CodeBuild sets AWS_REGION itself).
func TestReleaseByHand(t *testing.T) {
	tmpl := synth(t, "staging").template(t, stacks.PipelineLayer)
	command := jsonOf(tmpl["Outputs"].(map[string]any)["ReleaseCommand"].(map[string]any)["Value"])
	want := named(`"aws codebuild start-build --project-name {project}-staging-release --environment-variables-override \"name=IMAGE_TAG,value=$SHA,type=PLAINTEXT\" \"name=PUBLISH_FRONTENDS,value=false,type=PLAINTEXT\""`)
	if command != want {
		t.Errorf("ReleaseCommand %s\nwant %s", command, want)
	}
	release := props(byPrefix(t, tmpl, "AWS::CodeBuild::Project", "ReleaseReleaseProject"))
	if release["Name"] != named("{project}-staging-release") {
		t.Errorf("release project name %v", release["Name"])
	}
	given := map[string]bool{"IMAGE_TAG": true, "AWS_REGION": true}
	for _, v := range asList(release["Environment"].(map[string]any)["EnvironmentVariables"]) {
		given[v["Name"].(string)] = true
	}
	script, err := os.ReadFile("constructs/releasepipeline/scripts/release.sh")
	if err != nil {
		t.Fatal(err)
	}
	required := regexp.MustCompile(`"\$\{([A-Z_]+):\?\}"`).FindAllStringSubmatch(string(script), -1)
	if len(required) < 10 {
		t.Fatalf("found %d required variables in release.sh", len(required))
	}
	for _, m := range required {
		if !given[m[1]] {
			t.Errorf("release.sh requires %s, which neither the project nor the ReleaseCommand gives", m[1])
		}
	}
}
