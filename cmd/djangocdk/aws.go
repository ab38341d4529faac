package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/djangocdk/djangocdk/stacks"
)

// The calls each command makes, one interface per AWS service: the SDK's
// clients satisfy them, and the tests give fakes.

// SSM reads parameters.
type SSM interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// ECS reads and runs the cluster's services and tasks.
type ECS interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	RunTask(context.Context, *ecs.RunTaskInput, ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	StopTask(context.Context, *ecs.StopTaskInput, ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	ExecuteCommand(context.Context, *ecs.ExecuteCommandInput, ...func(*ecs.Options)) (*ecs.ExecuteCommandOutput, error)
}

// Logs reads CloudWatch Logs.
type Logs interface {
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
	GetLogEvents(context.Context, *cloudwatchlogs.GetLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// CloudWatch reads metrics and alarms.
type CloudWatch interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// CodeBuild reads the release project and runs its builds.
type CodeBuild interface {
	BatchGetProjects(context.Context, *codebuild.BatchGetProjectsInput, ...func(*codebuild.Options)) (*codebuild.BatchGetProjectsOutput, error)
	StartBuild(context.Context, *codebuild.StartBuildInput, ...func(*codebuild.Options)) (*codebuild.StartBuildOutput, error)
	BatchGetBuilds(context.Context, *codebuild.BatchGetBuildsInput, ...func(*codebuild.Options)) (*codebuild.BatchGetBuildsOutput, error)
}

// CodePipeline reads the pipeline's executions.
type CodePipeline interface {
	ListPipelineExecutions(context.Context, *codepipeline.ListPipelineExecutionsInput, ...func(*codepipeline.Options)) (*codepipeline.ListPipelineExecutionsOutput, error)
}

// ECR reads the image repository.
type ECR interface {
	DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
}

// STS tells whose credentials are in use.
type STS interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Clients are the AWS clients of one environment's account and region.
type Clients struct {
	SSM          SSM
	ECS          ECS
	Logs         Logs
	CloudWatch   CloudWatch
	CodeBuild    CodeBuild
	CodePipeline CodePipeline
	ECR          ECR
	STS          STS
	// Region is the environment's region; ECSEndpoint is ECS's endpoint
	// there, and Profile the shared-config profile in use: the Session
	// Manager plugin takes all three.
	Region, ECSEndpoint, Profile string
}

// awsClients loads the default credential chain (environment, shared
// config and SSO, container or instance role) for cfg's region, and fails
// with what to do when it finds no credentials.
func awsClients(ctx context.Context, cfg *stacks.Config) (*Clients, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(cfg.Region))
	if err != nil {
		return nil, fmt.Errorf("reading the AWS configuration: %w", err)
	}
	if _, err := awsCfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("no AWS credentials for account %s (%v); sign in first, e.g. aws sso login --profile <profile> and export AWS_PROFILE=<profile>, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", cfg.Account, err)
	}
	profile := ""
	for _, source := range awsCfg.ConfigSources {
		if shared, ok := source.(config.SharedConfig); ok {
			profile = shared.Profile
		}
	}
	return &Clients{
		SSM:          ssm.NewFromConfig(awsCfg),
		ECS:          ecs.NewFromConfig(awsCfg),
		Logs:         cloudwatchlogs.NewFromConfig(awsCfg),
		CloudWatch:   cloudwatch.NewFromConfig(awsCfg),
		CodeBuild:    codebuild.NewFromConfig(awsCfg),
		CodePipeline: codepipeline.NewFromConfig(awsCfg),
		ECR:          ecr.NewFromConfig(awsCfg),
		STS:          sts.NewFromConfig(awsCfg),
		Region:       cfg.Region,
		ECSEndpoint:  "https://ecs." + cfg.Region + ".amazonaws.com",
		Profile:      profile,
	}, nil
}

// checkAccount fails unless the credentials are for the environment's
// account: a command never acts on another account's resources of the
// same name.
func (a *app) checkAccount(ctx context.Context) error {
	id, err := a.aws.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("checking the AWS credentials: %w; sign in to account %s first (aws sso login, or AWS_PROFILE)", err, a.cfg.Account)
	}
	if got := aws.ToString(id.Account); got != a.cfg.Account {
		return fmt.Errorf("the AWS credentials are for account %s (%s), but environment %s is in account %s (cdk.json: account): use that account's profile",
			got, aws.ToString(id.Arn), a.cfg.Env, a.cfg.Account)
	}
	return nil
}

// parameter returns the value of the SSM parameter name; a missing one
// means the environment (or the stack that writes it) is not deployed.
func (a *app) parameter(ctx context.Context, name, stack string) (string, error) {
	out, err := a.aws.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	var missing *ssmtypes.ParameterNotFound
	if errors.As(err, &missing) {
		return "", fmt.Errorf("SSM parameter %s not found in account %s, %s: environment %s is not deployed (stack %s); deploy it with npx cdk deploy --all -c env=%s",
			name, a.cfg.Account, a.cfg.Region, a.cfg.Env, a.cfg.StackName(stack), a.cfg.Env)
	}
	if err != nil {
		return "", a.explain(err, "reading SSM parameter "+name)
	}
	return aws.ToString(out.Parameter.Value), nil
}

// imageTag returns the released image tag, failing while no image was
// ever released.
func (a *app) imageTag(ctx context.Context) (string, error) {
	name := stacks.ImageTagParameterName(a.cfg)
	tag, err := a.parameter(ctx, name, stacks.RegistryLayer)
	if err != nil {
		return "", err
	}
	if tag == stacks.NoImage {
		return "", fmt.Errorf("no image released in %s yet (%s is %q): release one first, by pushing to the pipeline's branch (%s)", a.cfg.Env, name, tag, a.cfg.Pipeline.Branch)
	}
	return tag, nil
}

// clusterName returns the name of the environment's ECS cluster.
func (a *app) clusterName(ctx context.Context) (string, error) {
	return a.parameter(ctx, stacks.SharedParameterName(a.cfg, stacks.ComputeLayer, stacks.ClusterNameKey), stacks.ComputeLayer)
}

// serviceName returns the name of the ECS service of role.
func (a *app) serviceName(ctx context.Context, role string) (string, error) {
	return a.parameter(ctx, stacks.SharedParameterName(a.cfg, stacks.ComputeLayer, stacks.ServiceNameKey(role)), stacks.ComputeLayer)
}

// explain adds what to do to an AWS error: a missing permission names the
// call, anything else is returned with what was being done.
func (a *app) explain(err error, doing string) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch code := api.ErrorCode(); {
		case strings.Contains(code, "AccessDenied"), code == "UnauthorizedOperation", code == "UnrecognizedClientException":
			return fmt.Errorf("%s: permission denied (%s: %s); use a role of account %s that allows it", doing, code, api.ErrorMessage(), a.cfg.Account)
		case code == "ExpiredTokenException", code == "ExpiredToken":
			return fmt.Errorf("%s: the AWS credentials have expired; sign in again (aws sso login)", doing)
		}
	}
	return fmt.Errorf("%s: %w", doing, err)
}
