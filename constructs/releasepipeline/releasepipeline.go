// Package releasepipeline provides the release pipeline of a Django +
// Celery app on ECS: CodePipeline V2 in QUEUED mode, so two releases never
// migrate at once, with the stages Source (a CodeStar connection), Build
// (the image tagged by the commit, the frontends), an optional manual
// Approval, Migrate (a one-off task from the new image, gating the release
// on its exit code) and Deploy (the services, checked for rollbacks, then
// the frontends). The shell scripts that do the work are in ./scripts.
package releasepipeline

import (
	"fmt"
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
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

var (
	repositoryPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	connectionPattern = regexp.MustCompile(`^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]{36}$`)
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
	// runs with; empty skips the check. Default: "".
	CheckSettings string
	// FrontendBuild is the command that builds the frontend apps. Default: "" (none).
	FrontendBuild string
	// Frontends are published by the Deploy stage. Default: none.
	Frontends []Frontend
	// ManualApproval adds an Approval stage before Migrate. Default: false.
	ManualApproval bool
	// Cluster runs the services and the migration task. Required.
	Cluster awsecs.ICluster
	// Migration is the migration task definition; the Migrate stage runs a
	// revision of it with the new image. Required.
	Migration awsecs.FargateTaskDefinition
	// MigrationSubnets and MigrationSecurityGroup place the migration task. Required.
	MigrationSubnets       *[]*string
	MigrationSecurityGroup awsec2.ISecurityGroup
	// ComputeStackName is the stack the Deploy stage updates. Required.
	ComputeStackName string
	// TagParameterName is the SSM parameter that holds the released tag. Required.
	TagParameterName string
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

// Pipeline is the release pipeline and its build projects.
type Pipeline struct {
	pipeline               awscodepipeline.Pipeline
	build, migrate, deploy awscodebuild.PipelineProject
	artifacts              awss3.Bucket
}

// New creates a Pipeline under scope, or returns an error naming the first
// invalid field of props before creating anything.
func New(scope constructs.Construct, id string, props *Props) (*Pipeline, error) {
	p, err := props.withDefaults()
	if err != nil {
		return nil, err
	}
	construct := constructs.NewConstruct(scope, jsii.String(id))
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

	project := func(name, description string, image awscodebuild.IBuildImage, privileged bool, commands, artifactFiles []string, env map[string]string) awscodebuild.PipelineProject {
		logs := awslogs.NewLogGroup(construct, jsii.String(name+"Logs"), &awslogs.LogGroupProps{
			Retention: p.LogRetention, RemovalPolicy: p.RemovalPolicy,
		})
		spec := map[string]any{
			"version": "0.2",
			"phases":  map[string]any{"build": map[string]any{"commands": commands}},
		}
		if len(artifactFiles) > 0 {
			spec["artifacts"] = map[string]any{"files": artifactFiles}
		}
		variables := map[string]*awscodebuild.BuildEnvironmentVariable{}
		for k, v := range env {
			variables[k] = &awscodebuild.BuildEnvironmentVariable{Value: jsii.String(v)}
		}
		return awscodebuild.NewPipelineProject(construct, jsii.String(name), &awscodebuild.PipelineProjectProps{
			Description: jsii.String(description),
			Environment: &awscodebuild.BuildEnvironment{
				BuildImage:  image,
				ComputeType: awscodebuild.ComputeType_SMALL,
				Privileged:  jsii.Bool(privileged),
			},
			EnvironmentVariables: &variables,
			EncryptionKey:        p.EncryptionKey,
			Logging:              &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{LogGroup: logs}},
			Timeout:              awscdk.Duration_Hours(jsii.Number(2)),
			BuildSpec:            awscodebuild.BuildSpec_FromObject(&spec),
		})
	}

	platform, buildImage := "linux/amd64", awscodebuild.LinuxBuildImage_AMAZON_LINUX_2023_5()
	if p.Arm64 {
		platform, buildImage = "linux/arm64", awscodebuild.LinuxArmBuildImage_AMAZON_LINUX_2023_STANDARD_3_0()
	}
	// The Deploy stage publishes the frontend builds from this artifact.
	artifactFiles := []string{"release.txt"}
	for _, f := range p.Frontends {
		artifactFiles = append(artifactFiles, f.BuildDir+"/**/*")
	}
	build := project("Build", "Builds the Django image (tagged by the commit) and the frontends", buildImage, true,
		[]string{scriptCommand("build.sh")}, artifactFiles, map[string]string{
			"REPOSITORY_URI":   *p.ImageRepository.RepositoryUri(),
			"PLATFORM":         platform,
			"DOCKERFILE":       p.Dockerfile,
			"CONTEXT":          p.DockerContext,
			"CHECK_MIGRATIONS": fmt.Sprint(p.CheckSettings != ""),
			"CHECK_SETTINGS":   p.CheckSettings,
			"FRONTEND_BUILD":   p.FrontendBuild,
		})
	p.ImageRepository.GrantPullPush(build)
	p.ImageRepository.Grant(build, jsii.String("ecr:DescribeImages"))

	migrate := project("Migrate", "Runs the migrations once from the new image and fails unless they succeed", awscodebuild.LinuxBuildImage_AMAZON_LINUX_2023_5(), false,
		[]string{scriptCommand("migrate.sh")}, nil, map[string]string{
			"CLUSTER":        *p.Cluster.ClusterName(),
			"FAMILY":         *p.Migration.Family(),
			"SUBNETS":        *awscdk.Fn_Join(jsii.String(","), p.MigrationSubnets),
			"SECURITY_GROUP": *p.MigrationSecurityGroup.SecurityGroupId(),
			"CONTAINER":      "django",
		})
	migrate.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		// Neither action takes a resource.
		Actions:   jsii.Strings("ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"),
		Resources: jsii.Strings("*"),
	}))
	migrate.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings("ecs:RunTask"),
		Resources:  jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ecs"), Resource: jsii.String("task-definition"), ResourceName: jsii.String(*p.Migration.Family() + ":*")})),
		Conditions: &map[string]any{"ArnEquals": map[string]any{"ecs:cluster": p.Cluster.ClusterArn()}},
	}))
	migrate.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ecs:DescribeTasks"),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ecs"), Resource: jsii.String("task"), ResourceName: jsii.String(*p.Cluster.ClusterName() + "/*")})),
	}))
	p.Migration.ExecutionRole().GrantPassRole(migrate.GrantPrincipal())
	p.Migration.TaskRole().GrantPassRole(migrate.GrantPrincipal())

	var frontends, services []string
	for _, f := range p.Frontends {
		frontends = append(frontends, strings.Join([]string{f.BuildDir, f.AssetsPrefix, *f.Bucket.BucketName(), *f.Distribution.DistributionId()}, " "))
	}
	for _, s := range p.Services {
		services = append(services, *s.ServiceName())
	}
	deploy := project("Deploy", "Releases the new image to the services, then publishes the frontends", awscodebuild.LinuxBuildImage_AMAZON_LINUX_2023_5(), false,
		[]string{scriptCommand("deploy.sh"), scriptCommand("publish.sh")}, nil, map[string]string{
			"STACK":         p.ComputeStackName,
			"TAG_PARAMETER": p.TagParameterName,
			"CLUSTER":       *p.Cluster.ClusterName(),
			"SERVICES":      *awscdk.Fn_Join(jsii.String(" "), jsii.Strings(services...)),
			"CFN_ROLE_ARN":  *p.DeployRoleArn,
			"FRONTENDS":     *awscdk.Fn_Join(jsii.String("\n"), jsii.Strings(frontends...)),
		})
	parameter := func(name string) string {
		return *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ssm"), Resource: jsii.String("parameter"), ResourceName: jsii.String(strings.TrimPrefix(name, "/"))})
	}
	deploy.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ssm:GetParameter", "ssm:PutParameter"),
		Resources: jsii.Strings(parameter(p.TagParameterName)),
	}))
	// CloudFormation resolves the Compute stack's SSM parameters (the image
	// tag, the bootstrap version) with the caller's permissions.
	deploy.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ssm:GetParameters"),
		Resources: jsii.Strings(parameter(p.TagParameterName), parameter("/cdk-bootstrap/*")),
	}))
	deploy.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("cloudformation:DescribeStacks", "cloudformation:UpdateStack"),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudformation"), Resource: jsii.String("stack"), ResourceName: jsii.String(p.ComputeStackName + "/*")})),
	}))
	deploy.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings("iam:PassRole"),
		Resources:  jsii.Strings(*p.DeployRoleArn),
		Conditions: &map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "cloudformation.amazonaws.com"}},
	}))
	var serviceArns []*string
	for _, s := range p.Services {
		serviceArns = append(serviceArns, s.ServiceArn())
	}
	deploy.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ecs:DescribeServices"),
		Resources: &serviceArns,
	}))
	deploy.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ecs:DescribeTaskDefinition"), // takes no resource
		Resources: jsii.Strings("*"),
	}))
	for _, f := range p.Frontends {
		f.Bucket.GrantReadWrite(deploy, nil)
		f.Distribution.GrantCreateInvalidation(deploy)
	}

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
		"IMAGE":     {Value: jsii.String(*p.ImageRepository.RepositoryUri() + ":" + *sourceAction.Variables().CommitId)},
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
				AdditionalInformation: jsii.String("Release " + *sourceAction.Variables().CommitId + ": migrations run next, then the services update."),
			}),
		}})
	}
	stages = append(stages,
		&awscodepipeline.StageProps{StageName: jsii.String("Migrate"), Actions: &[]awscodepipeline.IAction{awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
			ActionName: jsii.String("Migrate"), Project: migrate, Input: source, EnvironmentVariables: &commit,
		})}},
		&awscodepipeline.StageProps{StageName: jsii.String("Deploy"), Actions: &[]awscodepipeline.IAction{awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
			ActionName: jsii.String("Deploy"), Project: deploy, Input: built, EnvironmentVariables: &commit,
		})}},
	)
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
	return &Pipeline{pipeline: pipeline, build: build, migrate: migrate, deploy: deploy, artifacts: artifacts}, nil
}

// Pipeline returns the CodePipeline pipeline.
func (p *Pipeline) Pipeline() awscodepipeline.Pipeline { return p.pipeline }

// Projects returns the Build, Migrate and Deploy projects.
func (p *Pipeline) Projects() []awscodebuild.PipelineProject {
	return []awscodebuild.PipelineProject{p.build, p.migrate, p.deploy}
}

// ArtifactBucket returns the pipeline's artifact bucket.
func (p *Pipeline) ArtifactBucket() awss3.IBucket { return p.artifacts }

func (props *Props) withDefaults() (Props, error) {
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
	switch {
	case CheckConnection(p.ConnectionArn) != nil:
		return p, fmt.Errorf("releasepipeline.Props.ConnectionArn: %w", CheckConnection(p.ConnectionArn))
	case CheckRepository(p.Repository) != nil:
		return p, fmt.Errorf("releasepipeline.Props.Repository: %w", CheckRepository(p.Repository))
	case p.Branch == "":
		return p, fmt.Errorf("releasepipeline.Props.Branch: required")
	case p.ImageRepository == nil || p.Cluster == nil || p.Migration == nil || p.MigrationSubnets == nil || p.MigrationSecurityGroup == nil:
		return p, fmt.Errorf("releasepipeline.Props: ImageRepository, Cluster, Migration, MigrationSubnets and MigrationSecurityGroup are required")
	case p.ComputeStackName == "" || p.TagParameterName == "" || len(p.Services) == 0 || p.DeployRoleArn == nil:
		return p, fmt.Errorf("releasepipeline.Props: ComputeStackName, TagParameterName, Services and DeployRoleArn are required")
	case p.Notifications == nil || p.EncryptionKey == nil:
		return p, fmt.Errorf("releasepipeline.Props: Notifications and EncryptionKey are required")
	}
	return p, nil
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
