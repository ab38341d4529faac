package main

import (
	"encoding/base64"
	"os"
	"regexp"
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
	for _, m := range regexp.MustCompile(`echo ([A-Za-z0-9+/=]+) \| base64 -d > /tmp/([a-z]+\.sh)`).FindAllStringSubmatch(spec, -1) {
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
			want := "Source Build Migrate Deploy"
			if env == "production" {
				want = "Source Build Approve Migrate Deploy"
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
			// Build, Migrate and Deploy all work on this commit's image.
			for _, stage := range []string{"Build", "Migrate", "Deploy"} {
				config := jsonOf(actions[stage]["Configuration"])
				if !strings.Contains(config, `\"name\":\"IMAGE_TAG\",\"type\":\"PLAINTEXT\",\"value\":\"#{Source.CommitId}\"`) ||
					!strings.Contains(config, `:#{Source.CommitId}\"`) {
					t.Errorf("%s does not use the commit's image: %s", stage, config)
				}
			}
		})
	}
}

func TestPipelineRunsTheTestedScripts(t *testing.T) {
	tmpl := synth(t, "staging").template(t, stacks.PipelineLayer)
	want := map[string][]string{"ReleaseBuild": {"build.sh"}, "ReleaseMigrate": {"migrate.sh"}, "ReleaseDeploy": {"deploy.sh", "publish.sh"}}
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
		`{"Name":"PLATFORM","Type":"PLAINTEXT","Value":"linux/arm64"}`, `{"Name":"CHECK_MIGRATIONS","Type":"PLAINTEXT","Value":"true"}`,
		`{"Name":"DOCKERFILE","Type":"PLAINTEXT","Value":"compose/production/django/Dockerfile"}`} {
		if !strings.Contains(env, want) {
			t.Errorf("build environment lacks %s: %s", want, env)
		}
	}
	if !strings.Contains(jsonOf(build["Source"]), `apps/web/dist/**/*`) {
		t.Errorf("the frontend build is not an artifact")
	}
	migrate := jsonOf(props(byPrefix(t, tmpl, "AWS::CodeBuild::Project", "ReleaseMigrate"))["Environment"])
	for _, want := range []string{`{"Name":"FAMILY","Type":"PLAINTEXT","Value":"myapp-production-migrate"}`, "MigrationTasks", "PrivateSubnet1", "PrivateSubnet3"} {
		if !strings.Contains(migrate, want) {
			t.Errorf("migrate environment lacks %s: %s", want, migrate)
		}
	}
	deploy := jsonOf(props(byPrefix(t, tmpl, "AWS::CodeBuild::Project", "ReleaseDeploy"))["Environment"])
	for _, want := range []string{`{"Name":"STACK","Type":"PLAINTEXT","Value":"myapp-production-compute"}`,
		`{"Name":"TAG_PARAMETER","Type":"PLAINTEXT","Value":"/myapp/production/image-tag"}`,
		"WebService", "BeatService", "WorkerceleryService", "apps/web/dist assets/ ", "AppwebDistribution", "cfn-exec-role"} {
		if !strings.Contains(deploy, want) {
			t.Errorf("deploy environment lacks %s: %s", want, deploy)
		}
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
	migrate := policy("ReleaseMigrateRoleDefaultPolicy")
	for _, want := range []string{`"ecs:RunTask"`, `task-definition/myapp-staging-migrate:*`, `"ArnEquals":{"ecs:cluster"`, `"iam:PassRole"`, `"ecs:DescribeTasks"`} {
		if !strings.Contains(migrate, want) {
			t.Errorf("migrate role lacks %s", want)
		}
	}
	if strings.Contains(migrate, "ecs:UpdateService") || strings.Contains(migrate, "ssm:PutParameter") || strings.Contains(migrate, "cloudformation") {
		t.Errorf("the migrate step can touch the services: %s", migrate)
	}
	deploy := policy("ReleaseDeployRoleDefaultPolicy")
	for _, want := range []string{`"ssm:PutParameter"`, `parameter/myapp/staging/image-tag`, `"cloudformation:UpdateStack"`, `stack/myapp-staging-compute/*`,
		`"iam:PassedToService":"cloudformation.amazonaws.com"`, `"cloudfront:CreateInvalidation"`, `"ecs:DescribeServices"`,
		`"ssm:GetParameters"`, `parameter/cdk-bootstrap/*`} {
		if !strings.Contains(deploy, want) {
			t.Errorf("deploy role lacks %s", want)
		}
	}
	if strings.Contains(deploy, "ecs:RunTask") || strings.Contains(deploy, `"Action":"*"`) {
		t.Errorf("deploy role too broad: %s", deploy)
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
