package releasepipeline

import (
	"github.com/djangocdk/djangocdk/constructs/internal/templatetest"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/internal/args"
)

const connection = "arn:aws:codeconnections:eu-west-1:123456789012:connection/0f0e0d0c-0b0a-0908-0706-050403020100"

// newStack returns a stack in an App of its own: the test binary shares
// one node process, but not one App, since an App whose tree changes after
// a synthesis (Template_FromStack synthesizes it) refuses to synthesize again.
func newStack(name string) awscdk.Stack {
	return awscdk.NewStack(awscdk.NewApp(nil), jsii.String(name), nil)
}

type fixture struct {
	stack awscdk.Stack
	props *Props
}

// newFixture returns the required props: a repository, a cluster with one
// service, the migration task, and no frontends.
func newFixture(name string) *fixture {
	stack := newStack(name)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(1)})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	repository := awsecr.NewRepository(stack, jsii.String("Repo"), nil)
	task := func(id, family string) awsecs.FargateTaskDefinition {
		d := awsecs.NewFargateTaskDefinition(stack, jsii.String(id), &awsecs.FargateTaskDefinitionProps{Family: args.Optional(family)})
		d.AddContainer(jsii.String("django"), &awsecs.ContainerDefinitionOptions{Image: awsecs.ContainerImage_FromEcrRepository(repository, jsii.String("3f2c1e9"))})
		return d
	}
	web := awsecs.NewFargateService(stack, jsii.String("Web"), &awsecs.FargateServiceProps{Cluster: cluster, TaskDefinition: task("WebTask", "")})
	return &fixture{stack: stack, props: &Props{
		ConnectionArn:          connection,
		Repository:             "acme/shop",
		Branch:                 "main",
		ImageRepository:        repository,
		Cluster:                cluster,
		Migration:              task("Migrate", "shop-prod-migrate"),
		MigrationSubnets:       vpc.SelectSubnets(nil).SubnetIds,
		MigrationSecurityGroup: awsec2.NewSecurityGroup(stack, jsii.String("Migrations"), &awsec2.SecurityGroupProps{Vpc: vpc}),
		ComputeStackName:       "shop-prod-compute",
		TagParameterName:       "/shop/prod/image-tag",
		Services:               []awsecs.IBaseService{web},
		DeployRoleArn:          jsii.String("arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1"),
		Notifications:          awssns.NewTopic(stack, jsii.String("Releases"), nil),
		EncryptionKey:          awskms.NewKey(stack, jsii.String("Key"), nil),
	}}
}

func (f *fixture) newPipeline(t *testing.T) *Pipeline {
	t.Helper()
	p, err := New(f.stack, "Release", f.props)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// variable matches a CodeBuild environment variable.
func variable(name string, value any) any {
	return map[string]any{"Name": name, "Type": "PLAINTEXT", "Value": value}
}

// project matches the CodeBuild project whose logical id starts with prefix.
func project(tmpl assertions.Template, prefix string, props map[string]any) {
	props["Description"] = assertions.Match_AnyValue()
	found := tmpl.FindResources(jsii.String("AWS::CodeBuild::Project"), map[string]any{"Properties": assertions.Match_ObjectLike(&props)})
	for id := range *found {
		if strings.HasPrefix(id, prefix) {
			return
		}
	}
	panic("no CodeBuild project " + prefix + "* matches")
}

// stages matches the pipeline's stages by name.
func stages(names ...string) map[string]any {
	var want []any
	for _, name := range names {
		want = append(want, assertions.Match_ObjectLike(&map[string]any{"Name": name}))
	}
	return map[string]any{"Stages": want}
}

func TestPropsValidation(t *testing.T) {
	for props, want := range map[*Props]string{
		{}: `Release: releasepipeline.Props.ConnectionArn: "" is not a CodeConnections connection ARN`,
		{ConnectionArn: connection, Repository: "shop"}:      `Release: releasepipeline.Props.Repository: "shop" is not a repository as owner/name`,
		{ConnectionArn: connection, Repository: "acme/shop"}: "Release: releasepipeline.Props.Branch: required",
	} {
		if _, err := New(nil, "Release", props); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %v, want %s...", err, want)
		}
	}
}

// Every problem at once, each line under the construct's path, and
// nothing created.
func TestNewReportsEveryProblemUnderTheConstructPath(t *testing.T) {
	stack := newStack("Invalid")
	_, err := New(stack, "Release", &Props{NodeVersion: "lts", TaskTimeoutMinutes: 500, MigrationSubnets: &[]*string{},
		Frontends: []Frontend{{AssetsPrefix: "assets/"}}})
	want := []string{"NodeVersion", "TaskTimeoutMinutes", "ConnectionArn", "Repository", "Branch", "ImageRepository",
		"Frontends[0].BuildDir", "Frontends[0].Bucket", "Frontends[0].Distribution", "Cluster", "Migration", "MigrationSubnets",
		"MigrationSecurityGroup", "ComputeStackName", "TagParameterName", "Services", "DeployRoleArn", "Notifications", "EncryptionKey"}
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for i, field := range want {
		if prefix := "Invalid/Release: releasepipeline.Props." + field + ": "; !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("problem %d: %q, want %s...", i, lines[i], prefix)
		}
	}
	if n := len(*stack.Node().Children()); n != 0 {
		t.Errorf("%d constructs created before the validation failed", n)
	}
}

// The defaults, no frontends among them: a V2 pipeline in QUEUED mode,
// Source, Build and Release; an x86 build that builds no frontend; a
// Release project, one build at a time, that publishes none and runs no
// collectstatic task; encrypted artifacts and logs kept for a month.
func TestDefaults(t *testing.T) {
	f := newFixture("Defaults")
	f.newPipeline(t)
	templatetest.Assert(t, f.stack, func(tmpl assertions.Template) {
		tmpl.ResourceCountIs(jsii.String("AWS::CodePipeline::Pipeline"), jsii.Number(1))
		tmpl.HasResourceProperties(jsii.String("AWS::CodePipeline::Pipeline"), map[string]any{"PipelineType": "V2", "ExecutionMode": "QUEUED"})
		tmpl.HasResourceProperties(jsii.String("AWS::CodePipeline::Pipeline"), stages("Source", "Build", "Release"))
		project(tmpl, "ReleaseBuild", map[string]any{
			"Cache": map[string]any{"Type": "LOCAL", "Modes": []any{"LOCAL_DOCKER_LAYER_CACHE"}},
			"Environment": assertions.Match_ObjectLike(&map[string]any{
				"Image": "aws/codebuild/amazonlinux-x86_64-standard:5.0", "PrivilegedMode": true,
				"EnvironmentVariables": assertions.Match_ArrayWith(&[]any{
					variable("DOCKERFILE", "Dockerfile"), variable("FRONTEND_BUILD", ""), variable("PLATFORM", "linux/amd64"),
				}),
			}),
			"Source": assertions.Match_ObjectLike(&map[string]any{"BuildSpec": assertions.Match_SerializedJson(map[string]any{
				"version": "0.2", "artifacts": map[string]any{"files": []any{"release.txt"}},
				"phases": map[string]any{"build": map[string]any{"commands": []any{assertions.Match_StringLikeRegexp(jsii.String("bash /tmp/release/build.sh$"))}}},
			})}),
		})
		project(tmpl, "ReleaseReleaseProject", map[string]any{
			"ConcurrentBuildLimit": 1,
			"TimeoutInMinutes":     2*30 + 3*30 + 15,
			"Environment": assertions.Match_ObjectLike(&map[string]any{"EnvironmentVariables": assertions.Match_ArrayWith(&[]any{
				variable("FRONTENDS", ""), variable("MIGRATE_FAMILY", "shop-prod-migrate"), variable("STATIC_FAMILY", ""),
				variable("TASK_TIMEOUT_SECONDS", "1800"),
			})}),
		})
		tmpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{assertions.Match_ObjectLike(&map[string]any{
				"ServerSideEncryptionByDefault": assertions.Match_ObjectLike(&map[string]any{"SSEAlgorithm": "aws:kms"}),
			})}},
		})
		tmpl.AllResources(jsii.String("AWS::Logs::LogGroup"), map[string]any{"DeletionPolicy": "Retain", "Properties": map[string]any{"RetentionInDays": 30}})
		tmpl.HasResourceProperties(jsii.String("AWS::CodeStarNotifications::NotificationRule"), map[string]any{
			"EventTypeIds": []any{"codepipeline-pipeline-pipeline-execution-failed", "codepipeline-pipeline-manual-approval-needed"},
		})
	})
	// No frontend to publish: no grant on a distribution.
	policies := assertions.Template_FromStack(f.stack, nil).FindResources(jsii.String("AWS::IAM::Policy"), nil)
	if body := f.stack.ToJsonString(policies, nil); strings.Contains(*body, "cloudfront:CreateInvalidation") {
		t.Errorf("the release may invalidate a distribution without frontends")
	}
}

// ManualApproval: an Approve stage, notifying the topic, before Release.
func TestManualApproval(t *testing.T) {
	f := newFixture("Approval")
	f.props.ManualApproval = true
	f.newPipeline(t)
	templatetest.Assert(t, f.stack, func(tmpl assertions.Template) {
		tmpl.HasResourceProperties(jsii.String("AWS::CodePipeline::Pipeline"), stages("Source", "Build", "Approve", "Release"))
		tmpl.HasResourceProperties(jsii.String("AWS::CodePipeline::Pipeline"), map[string]any{
			"Stages": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Name": "Approve",
				"Actions": []any{assertions.Match_ObjectLike(&map[string]any{
					"ActionTypeId":  assertions.Match_ObjectLike(&map[string]any{"Category": "Approval", "Provider": "Manual"}),
					"Configuration": assertions.Match_ObjectLike(&map[string]any{"NotificationArn": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Releases"))}}),
				})},
			})}),
		})
	})
}

// Frontends: built on a pinned Node, their builds in the artifact, each
// published (build dir, assets prefix, bucket, distribution) and
// invalidated by the release.
func TestFrontends(t *testing.T) {
	f := newFixture("Frontends")
	f.props.FrontendBuild = "pnpm turbo run build"
	for _, app := range []string{"web", "admin"} {
		f.props.Frontends = append(f.props.Frontends, Frontend{
			BuildDir: "apps/" + app + "/dist", AssetsPrefix: "assets/",
			Bucket: awss3.Bucket_FromBucketName(f.stack, jsii.String(app+"Bucket"), jsii.String("shop-"+app)),
			Distribution: awscloudfront.Distribution_FromDistributionAttributes(f.stack, jsii.String(app+"Distribution"), &awscloudfront.DistributionAttributes{
				DistributionId: jsii.String("E" + strings.ToUpper(app)), DomainName: jsii.String(app + ".example.com"),
			}),
		})
	}
	f.newPipeline(t)
	templatetest.Assert(t, f.stack, func(tmpl assertions.Template) {
		project(tmpl, "ReleaseBuild", map[string]any{
			"Environment": assertions.Match_ObjectLike(&map[string]any{"EnvironmentVariables": assertions.Match_ArrayWith(&[]any{
				variable("FRONTEND_BUILD", "pnpm turbo run build"),
			})}),
			"Source": assertions.Match_ObjectLike(&map[string]any{"BuildSpec": assertions.Match_SerializedJson(assertions.Match_ObjectLike(&map[string]any{
				"artifacts": map[string]any{"files": []any{"release.txt", "apps/web/dist/**/*", "apps/admin/dist/**/*"}},
				"phases":    assertions.Match_ObjectLike(&map[string]any{"install": map[string]any{"runtime-versions": map[string]any{"nodejs": "22"}}}),
			}))}),
		})
		project(tmpl, "ReleaseReleaseProject", map[string]any{
			"Environment": assertions.Match_ObjectLike(&map[string]any{"EnvironmentVariables": assertions.Match_ArrayWith(&[]any{
				variable("FRONTENDS", "apps/web/dist assets/ shop-web EWEB\napps/admin/dist assets/ shop-admin EADMIN"),
			})}),
		})
		tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Action": "cloudfront:CreateInvalidation", "Resource": assertions.Match_AnyValue(),
			})})},
		})
	})
}

// StaticFiles: the release runs a revision of the collectstatic family too.
func TestStaticFilesTask(t *testing.T) {
	f := newFixture("StaticFiles")
	static := awsecs.NewFargateTaskDefinition(f.stack, jsii.String("Static"), &awsecs.FargateTaskDefinitionProps{Family: jsii.String("shop-prod-static")})
	static.AddContainer(jsii.String("django"), &awsecs.ContainerDefinitionOptions{Image: awsecs.ContainerImage_FromRegistry(jsii.String("shop:1"), nil)})
	f.props.StaticFiles = static
	f.newPipeline(t)
	family := func(name string) any {
		return map[string]any{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{":task-definition/" + name + ":*"})}}
	}
	templatetest.Assert(t, f.stack, func(tmpl assertions.Template) {
		project(tmpl, "ReleaseReleaseProject", map[string]any{
			"Environment": assertions.Match_ObjectLike(&map[string]any{"EnvironmentVariables": assertions.Match_ArrayWith(&[]any{
				variable("STATIC_FAMILY", "shop-prod-static"),
			})}),
		})
		tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Action":   "ecs:RunTask",
				"Resource": []any{family("shop-prod-migrate"), family("shop-prod-static")},
			})})},
		})
	})
}

// Arm64: the image builds on an ARM host for linux/arm64.
func TestArm64(t *testing.T) {
	f := newFixture("Arm64")
	f.props.Arm64 = true
	f.newPipeline(t)
	templatetest.Assert(t, f.stack, func(tmpl assertions.Template) {
		project(tmpl, "ReleaseBuild", map[string]any{
			"Environment": assertions.Match_ObjectLike(&map[string]any{
				"Type": "ARM_CONTAINER", "Image": "aws/codebuild/amazonlinux-aarch64-standard:3.0",
				"EnvironmentVariables": assertions.Match_ArrayWith(&[]any{variable("PLATFORM", "linux/arm64")}),
			}),
		})
	})
}

// A Pipeline is a construct: its resources are its children, tags apply
// to them, and their logical ids are those of a plain construct.
func TestIsAConstruct(t *testing.T) {
	f := newFixture("Construct")
	p := f.newPipeline(t)
	awscdk.Tags_Of(p).Add(jsii.String("part"), jsii.String("release"), nil)
	if got := *p.Pipeline().Node().Scope().Node().Path(); got != "Construct/Release" {
		t.Errorf("the pipeline is under %s", got)
	}
	if id := *f.stack.GetLogicalId(p.ArtifactBucket().Node().DefaultChild().(awscdk.CfnElement)); !strings.HasPrefix(id, "ReleaseArtifacts") {
		t.Errorf("artifact bucket logical id %s", id)
	}
	templatetest.Assert(t, f.stack, func(tmpl assertions.Template) {
		tmpl.HasResourceProperties(jsii.String("AWS::CodePipeline::Pipeline"), map[string]any{
			"Tags": []any{map[string]any{"Key": "part", "Value": "release"}},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{"Tags": assertions.Match_Absent()})
	})
}
