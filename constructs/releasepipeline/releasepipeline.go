// Package releasepipeline provides the release pipeline of a Django +
// Celery app on ECS: CodePipeline V2 in QUEUED mode with the stages Source
// (a CodeConnections connection), Build (the image tagged by the commit,
// the migrations check, the frontends), an optional manual Approval, and
// Release: one CodeBuild action that migrates (a one-off task from the new
// image, gating the release on its exit code), publishes the static files
// (another one-off task), updates the services and waits until each runs
// the new image at its desired count, then publishes the frontends.
//
// Migrate and deploy are one action in one stage because QUEUED mode locks
// a stage, not the pipeline: as two stages, a later execution could migrate
// while an earlier one deploys, and the earlier one's rollback would then
// run old code on the new schema. The Release project also runs outside the
// pipeline (aws codebuild start-build with IMAGE_TAG), for a release by
// hand with the same scripts and the same role. The shell scripts that do
// the work are in ./scripts. Another driver of the same scripts (a GitHub
// Actions workflow) gets the same variables from ReleaseEnvironment and
// BuildEnvironment and the same permissions from GrantRelease.
package releasepipeline

import (
	"errors"
	"fmt"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/internal/args"
)

var (
	repositoryPattern  = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	nodeVersionPattern = regexp.MustCompile(`^[1-9][0-9]$`)
	connectionPattern  = regexp.MustCompile(`^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]{36}$`)
)

// Frontend is a frontend app the Deploy stage publishes.
type Frontend struct {
	// BuildDir is the app's build output in the monorepo, such as apps/web/dist.
	BuildDir string
	// AssetsPrefix holds the hashed files, such as "assets/".
	AssetsPrefix string
	// Bucket and Distribution serve the app.
	Bucket       awss3.IBucket
	Distribution awscloudfront.IDistribution
}

// Props configures a Pipeline.
type Props struct {
	// ConnectionArn of the CodeStar (CodeConnections) connection to the
	// monorepo's host. Required.
	ConnectionArn string
	// Repository as "owner/name". Required.
	Repository string
	// Branch that releases. Required.
	Branch string
	// ImageRepository receives the Django image. Required.
	ImageRepository awsecr.IRepository
	// Arm64 builds the image for Graviton tasks on an ARM build host.
	// Default: false (x86_64).
	Arm64 bool
	// Dockerfile of the Django image, relative to the monorepo's root. Default: "Dockerfile".
	Dockerfile string
	// DockerContext of the build. Default: ".".
	DockerContext string
	// CheckSettings is the settings module "manage.py makemigrations --check"
	// runs with, entrypoint bypassed and no database (see scripts/build.sh
	// for the variables it gets); empty skips the check. Default: "".
	CheckSettings string
	// FrontendBuild is the command that builds the frontend apps. Default: "" (none).
	FrontendBuild string
	// NodeVersion is the Node.js major version the frontend build runs on
	// (a runtime-versions entry of the build image; the image's own default
	// is an old one). Default: DefaultNodeVersion.
	NodeVersion string
	// Frontends are published by the Deploy stage. Default: none.
	Frontends []Frontend
	// ManualApproval adds an Approval stage before Migrate. Default: false.
	ManualApproval bool
	// Cluster runs the services and the migration task. Required.
	Cluster awsecs.ICluster
	// Migration is the migration task definition; the release runs a
	// revision of it with the new image. Required.
	Migration awsecs.FargateTaskDefinition
	// StaticFiles is the collectstatic task definition; the release runs a
	// revision of it with the new image after the migrations. Default: nil (none).
	StaticFiles awsecs.FargateTaskDefinition
	// MigrationSubnets and MigrationSecurityGroup place the one-off tasks. Required.
	MigrationSubnets *[]*string
	// MigrationPublicIP gives the one-off tasks a public IP, for
	// MigrationSubnets that are public subnets (a network without NAT):
	// the release project's ASSIGN_PUBLIC_IP is then ENABLED, which the
	// release scripts and "djangocdk run" pass to RunTask. Default: false.
	MigrationPublicIP      bool
	MigrationSecurityGroup awsec2.ISecurityGroup
	// TaskTimeoutMinutes bounds each one-off task; at the limit it is stopped
	// and the release fails. Default: 30.
	TaskTimeoutMinutes int
	// DeployTimeoutMinutes bounds the stack update and, separately, the wait
	// until every service runs the new image. Default: 30.
	DeployTimeoutMinutes int
	// ReleaseProjectName names the Release project, which a person can start
	// by hand. Default: generated by CloudFormation.
	ReleaseProjectName string
	// ComputeStackName is the stack the Deploy stage updates. Required.
	ComputeStackName string
	// TagParameterName is the SSM parameter that holds the released tag. Required.
	TagParameterName string
	// StackParameterNames are further SSM parameters that the Compute
	// stack's template reads at deploy time (values of earlier stacks).
	// Default: none.
	StackParameterNames []string
	// Services are checked after the deploy: each must run the new image. Required.
	Services []awsecs.IBaseService
	// DeployRoleArn is the role CloudFormation updates the Compute stack
	// with (the CDK bootstrap's execution role). Required.
	DeployRoleArn *string
	// Notifications receives failed executions and pending approvals. Required.
	Notifications awssns.ITopic
	// EncryptionKey encrypts the artifacts and the build projects. Required.
	EncryptionKey awskms.IKey
	// LogRetention of the build logs. Default: awslogs.RetentionDays_ONE_MONTH.
	LogRetention awslogs.RetentionDays
	// RemovalPolicy of the artifact bucket and the build logs. Default: awscdk.RemovalPolicy_RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
}

// DefaultNodeVersion is the Node.js major version frontends build on: the
// newest LTS line that CodeBuild's Amazon Linux images list (24 is the
// current LTS but not yet a runtime-versions entry there).
const DefaultNodeVersion = "22"

// Pipeline is the release pipeline and its build projects, a construct of
// its own: tag it, depend on it, or scope a cdk-nag suppression to it.
type Pipeline struct {
	constructs.Construct
	pipeline  awscodepipeline.Pipeline
	build     awscodebuild.PipelineProject
	release   awscodebuild.Project
	artifacts awss3.Bucket
}

// New creates a Pipeline under scope, or, before creating anything,
// returns an error that starts with the construct's path and names every
// invalid field of props.
func New(scope constructs.Construct, id string, props *Props) (*Pipeline, error) {
	p, err := props.withDefaults()
	if err != nil {
		return nil, propserr.Prefix(scope, id, err)
	}
	result := &Pipeline{}
	constructs.NewConstruct_Override(result, scope, jsii.String(id))
	construct := result
	stack := awscdk.Stack_Of(construct)
	destroy := p.RemovalPolicy == awscdk.RemovalPolicy_DESTROY

	artifacts := awss3.NewBucket(construct, jsii.String("Artifacts"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_KMS,
		EncryptionKey:     p.EncryptionKey,
		BucketKeyEnabled:  jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		LifecycleRules:    &[]*awss3.LifecycleRule{{Id: jsii.String("expire-artifacts"), Expiration: awscdk.Duration_Days(jsii.Number(30))}},
		RemovalPolicy:     p.RemovalPolicy,
		AutoDeleteObjects: jsii.Bool(destroy),
	})

	logGroup := func(name string) awslogs.LogGroup {
		return awslogs.NewLogGroup(construct, jsii.String(name+"Logs"), &awslogs.LogGroupProps{
			Retention: p.LogRetention, RemovalPolicy: p.RemovalPolicy,
		})
	}
	variables := func(env map[string]string) *map[string]*awscodebuild.BuildEnvironmentVariable {
		out := map[string]*awscodebuild.BuildEnvironmentVariable{}
		for k, v := range env {
			out[k] = &awscodebuild.BuildEnvironmentVariable{Value: jsii.String(v)}
		}
		return &out
	}

	platform, buildImage := Platform(p.Arm64), awscodebuild.LinuxBuildImage_AMAZON_LINUX_2023_5()
	if p.Arm64 {
		buildImage = awscodebuild.LinuxArmBuildImage_AMAZON_LINUX_2023_STANDARD_3_0()
	}
	// The Deploy stage publishes the frontend builds from this artifact.
	artifactFiles := []string{"release.txt"}
	for _, f := range p.Frontends {
		artifactFiles = append(artifactFiles, f.BuildDir+"/**/*")
	}
	buildSpec := map[string]any{
		"version":   "0.2",
		"phases":    map[string]any{"build": map[string]any{"commands": []string{scriptCommand("build.sh")}}},
		"artifacts": map[string]any{"files": artifactFiles},
	}
	if p.FrontendBuild != "" {
		// The image's default Node is an old one, on which corepack's
		// signature check of pnpm fails.
		buildSpec["phases"].(map[string]any)["install"] = map[string]any{"runtime-versions": map[string]any{"nodejs": p.NodeVersion}}
	}
	build := awscodebuild.NewPipelineProject(construct, jsii.String("Build"), &awscodebuild.PipelineProjectProps{
		Description: jsii.String("Builds the Django image (tagged by the commit), checks for missing migrations, builds the frontends"),
		Environment: &awscodebuild.BuildEnvironment{
			BuildImage:  buildImage,
			ComputeType: awscodebuild.ComputeType_SMALL,
			Privileged:  jsii.Bool(true),
		},
		EnvironmentVariables: variables(map[string]string{
			"REPOSITORY_URI": *p.ImageRepository.RepositoryUri(),
			"PLATFORM":       platform,
			"DOCKERFILE":     p.Dockerfile,
			"CONTEXT":        p.DockerContext,
			"CHECK_SETTINGS": p.CheckSettings,
			"FRONTEND_BUILD": p.FrontendBuild,
		}),
		EncryptionKey: p.EncryptionKey,
		Logging:       &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{LogGroup: logGroup("Build")}},
		Timeout:       awscdk.Duration_Hours(jsii.Number(2)),
		BuildSpec:     awscodebuild.BuildSpec_FromObject(&buildSpec),
		// The Docker daemon's layers (the buildx builder's image, the base
		// layers the migrations check pulls) stay on the build host for the
		// next build that lands there; the image's own layers come from the
		// registry cache (build.sh's buildcache tag) whatever the host.
		Cache: awscodebuild.Cache_Local(awscodebuild.LocalCacheMode_DOCKER_LAYER),
	})
	p.grantBuild(build)

	releaseEnv := p.releaseEnvironment()
	releaseSpec := map[string]any{
		"version": "0.2",
		"phases": map[string]any{"build": map[string]any{"commands": []string{
			scriptsCommand("release.sh", "run-task.sh", "deploy.sh", "publish.sh"),
		}}},
	}
	// Two one-off tasks, the stack update and the wait for the services
	// (each bounded), a rollback after a timeout, and a margin.
	releaseTimeout := 2*p.TaskTimeoutMinutes + 3*p.DeployTimeoutMinutes + 15
	release := awscodebuild.NewProject(construct, jsii.String("ReleaseProject"), &awscodebuild.ProjectProps{
		ProjectName: args.Optional(p.ReleaseProjectName),
		Description: jsii.String("Migrates once from the new image, publishes its static files, updates the services and waits for them, publishes the frontends; start it by hand with IMAGE_TAG for a release outside the pipeline"),
		Environment: &awscodebuild.BuildEnvironment{
			BuildImage:  awscodebuild.LinuxBuildImage_AMAZON_LINUX_2023_5(),
			ComputeType: awscodebuild.ComputeType_SMALL,
		},
		EnvironmentVariables: variables(releaseEnv),
		EncryptionKey:        p.EncryptionKey,
		Logging:              &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{LogGroup: logGroup("ReleaseProject")}},
		Timeout:              awscdk.Duration_Minutes(jsii.Number(releaseTimeout)),
		BuildSpec:            awscodebuild.BuildSpec_FromObject(&releaseSpec),
		// One release at a time, also when started by hand.
		ConcurrentBuildLimit: jsii.Number(1),
	})
	p.grantRelease(stack, release)

	source := awscodepipeline.NewArtifact(jsii.String("Source"), nil)
	built := awscodepipeline.NewArtifact(jsii.String("Build"), nil)
	sourceAction := awscodepipelineactions.NewCodeStarConnectionsSourceAction(&awscodepipelineactions.CodeStarConnectionsSourceActionProps{
		ActionName:         jsii.String("Source"),
		ConnectionArn:      jsii.String(p.ConnectionArn),
		Owner:              jsii.String(strings.Split(p.Repository, "/")[0]),
		Repo:               jsii.String(strings.Split(p.Repository, "/")[1]),
		Branch:             jsii.String(p.Branch),
		Output:             source,
		VariablesNamespace: jsii.String("Source"),
	})
	// Every stage after Source works on this commit's image.
	commit := map[string]*awscodebuild.BuildEnvironmentVariable{
		"IMAGE_TAG": {Value: sourceAction.Variables().CommitId},
	}
	stages := []*awscodepipeline.StageProps{
		{StageName: jsii.String("Source"), Actions: &[]awscodepipeline.IAction{sourceAction}},
		{StageName: jsii.String("Build"), Actions: &[]awscodepipeline.IAction{awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
			ActionName: jsii.String("Build"), Project: build, Input: source, Outputs: &[]awscodepipeline.Artifact{built}, EnvironmentVariables: &commit,
		})}},
	}
	if p.ManualApproval {
		stages = append(stages, &awscodepipeline.StageProps{StageName: jsii.String("Approve"), Actions: &[]awscodepipeline.IAction{
			awscodepipelineactions.NewManualApprovalAction(&awscodepipelineactions.ManualApprovalActionProps{
				ActionName:            jsii.String("Approve"),
				NotificationTopic:     p.Notifications,
				AdditionalInformation: jsii.String("Release " + *sourceAction.Variables().CommitId + ": migrations run next, then the static files, then the services update."),
			}),
		}})
	}
	stages = append(stages, &awscodepipeline.StageProps{StageName: jsii.String("Release"), Actions: &[]awscodepipeline.IAction{
		awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
			ActionName: jsii.String("Release"), Project: release, Input: built, EnvironmentVariables: &commit,
		}),
	}})
	pipeline := awscodepipeline.NewPipeline(construct, jsii.String("Pipeline"), &awscodepipeline.PipelineProps{
		PipelineType:   awscodepipeline.PipelineType_V2,
		ExecutionMode:  awscodepipeline.ExecutionMode_QUEUED,
		ArtifactBucket: artifacts,
		Stages:         &stages,
	})
	pipeline.NotifyOn(jsii.String("Failures"), p.Notifications, &awscodepipeline.PipelineNotifyOnOptions{
		Events: &[]awscodepipeline.PipelineNotificationEvents{
			awscodepipeline.PipelineNotificationEvents_PIPELINE_EXECUTION_FAILED,
			awscodepipeline.PipelineNotificationEvents_MANUAL_APPROVAL_NEEDED,
		},
	})
	result.pipeline, result.build, result.release, result.artifacts = pipeline, build, release, artifacts
	return result, nil
}

// join joins values with sep, "" for none: Fn::Join, which a value known
// only at deploy time needs, takes at least one value (an app without
// frontends has none to publish).
func join(sep string, values *[]*string) string {
	if values == nil || len(*values) == 0 {
		return ""
	}
	return *awscdk.Fn_Join(jsii.String(sep), values)
}

// Pipeline returns the CodePipeline pipeline.
func (p *Pipeline) Pipeline() awscodepipeline.Pipeline { return p.pipeline }

// BuildProject returns the Build project.
func (p *Pipeline) BuildProject() awscodebuild.Project { return p.build }

// ReleaseProject returns the Release project: migrate, static files,
// deploy and frontends, in the pipeline or started by hand.
func (p *Pipeline) ReleaseProject() awscodebuild.Project { return p.release }

// ArtifactBucket returns the pipeline's artifact bucket.
func (p *Pipeline) ArtifactBucket() awss3.IBucket { return p.artifacts }

func (props *Props) withDefaults() (Props, error) {
	return props.defaulted(true)
}

// defaulted applies the defaults and checks the fields a release needs;
// with pipeline, also those only the pipeline needs (its source,
// notifications and key).
func (props *Props) defaulted(pipeline bool) (Props, error) {
	var p Props
	if props != nil {
		p = *props
	}
	if p.Dockerfile == "" {
		p.Dockerfile = "Dockerfile"
	}
	if p.DockerContext == "" {
		p.DockerContext = "."
	}
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_ONE_MONTH
	}
	if p.RemovalPolicy == "" {
		p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	if p.NodeVersion == "" {
		p.NodeVersion = DefaultNodeVersion
	}
	if p.TaskTimeoutMinutes == 0 {
		p.TaskTimeoutMinutes = 30
	}
	if p.DeployTimeoutMinutes == 0 {
		p.DeployTimeoutMinutes = 30
	}
	var problems []error
	check := func(field string, err error) {
		if err != nil {
			problems = append(problems, fmt.Errorf("releasepipeline.Props.%s: %w", field, err))
		}
	}
	required := func(field string, missing bool) {
		if missing {
			check(field, errors.New("required"))
		}
	}
	check("NodeVersion", CheckNodeVersion(p.NodeVersion))
	if p.TaskTimeoutMinutes < 1 || p.TaskTimeoutMinutes > MaxTimeoutMinutes {
		check("TaskTimeoutMinutes", fmt.Errorf("%d is outside 1 to %d", p.TaskTimeoutMinutes, MaxTimeoutMinutes))
	}
	if p.DeployTimeoutMinutes < MinDeployTimeoutMinutes || p.DeployTimeoutMinutes > MaxTimeoutMinutes {
		check("DeployTimeoutMinutes", fmt.Errorf("%d is outside %d to %d", p.DeployTimeoutMinutes, MinDeployTimeoutMinutes, MaxTimeoutMinutes))
	}
	if pipeline {
		check("ConnectionArn", CheckConnection(p.ConnectionArn))
		check("Repository", CheckRepository(p.Repository))
		required("Branch", p.Branch == "")
	}
	required("ImageRepository", p.ImageRepository == nil)
	for i, f := range p.Frontends {
		required(fmt.Sprintf("Frontends[%d].BuildDir", i), f.BuildDir == "")
		required(fmt.Sprintf("Frontends[%d].Bucket", i), f.Bucket == nil)
		required(fmt.Sprintf("Frontends[%d].Distribution", i), f.Distribution == nil)
	}
	required("Cluster", p.Cluster == nil)
	required("Migration", p.Migration == nil)
	if p.MigrationSubnets == nil || len(*p.MigrationSubnets) == 0 {
		check("MigrationSubnets", errors.New("required, at least one subnet"))
	}
	required("MigrationSecurityGroup", p.MigrationSecurityGroup == nil)
	required("ComputeStackName", p.ComputeStackName == "")
	required("TagParameterName", p.TagParameterName == "")
	if len(p.Services) == 0 {
		check("Services", errors.New("required, at least one service"))
	}
	required("DeployRoleArn", p.DeployRoleArn == nil)
	if pipeline {
		required("Notifications", p.Notifications == nil)
		required("EncryptionKey", p.EncryptionKey == nil)
	}
	if len(problems) > 0 {
		return p, errors.Join(problems...)
	}
	return p, nil
}

// Bounds of TaskTimeoutMinutes and DeployTimeoutMinutes: the Release
// project's own timeout (CodeBuild allows 8 hours) must cover two tasks and
// three deploy waits.
const (
	MinDeployTimeoutMinutes = 5
	MaxTimeoutMinutes       = 120
)

// CheckNodeVersion reports whether version is a Node.js major version.
func CheckNodeVersion(version string) error {
	if !nodeVersionPattern.MatchString(version) {
		return fmt.Errorf("%q is not a Node.js major version such as %s", version, DefaultNodeVersion)
	}
	return nil
}

// CheckConnection reports whether arn is a CodeStar (CodeConnections) connection ARN.
func CheckConnection(arn string) error {
	if !connectionPattern.MatchString(arn) {
		return fmt.Errorf("%q is not a CodeConnections connection ARN (arn:aws:codeconnections:REGION:ACCOUNT:connection/ID)", arn)
	}
	return nil
}

// CheckRepository reports whether repository is "owner/name".
func CheckRepository(repository string) error {
	if !repositoryPattern.MatchString(repository) {
		return fmt.Errorf("%q is not a repository as owner/name", repository)
	}
	return nil
}
