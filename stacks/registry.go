package stacks

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// RegistryLayer is the layer name of the Registry stack.
const RegistryLayer = "registry"

// BuildCacheTag is the one mutable tag: the image build's layer cache.
const BuildCacheTag = "buildcache"

// ReleaseTagPrefix starts the second tag that the release adds to an image
// once every service runs it (release-<UTC yyyymmddHHMMSS>): the lifecycle
// policy keeps the last released images, not the last builds.
const ReleaseTagPrefix = "release-"

// NoImage is the image tag parameter's value until the first image is
// pushed: the services then run no task.
const NoImage = "none"

// RegistryStack holds the ECR repository of the Django image and the
// parameter that names the image tag every service runs.
type RegistryStack struct {
	// Stack is the CloudFormation stack.
	Stack awscdk.Stack
	// Repository holds the Django image, tagged by git commit.
	Repository awsecr.Repository
	// RepositoryName is the repository's name, which config determines:
	// later stacks import the repository by it, so that an image URI is a
	// plain string (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME) instead of
	// a function of a cross-stack reference.
	RepositoryName string
	// ImageTagParameterName is the SSM parameter whose value is the tag of
	// the image the services run: the single owner of that tag.
	ImageTagParameterName string
}

// RepositoryName is the name of cfg's ECR repository of the Django image.
func RepositoryName(cfg *Config) string { return cfg.StackName("django") }

// ImageTagParameterName is the SSM parameter that holds the tag of the
// image cfg's services run (NoImage until the first release).
func ImageTagParameterName(cfg *Config) string {
	return "/" + cfg.Project + "/" + cfg.Env + "/image-tag"
}

// NewRegistryStack creates the Registry stack of cfg's environment.
func NewRegistryStack(scope constructs.Construct, cfg *Config) *RegistryStack {
	stack := newStack(scope, cfg, RegistryLayer, "ECR repository of the Django image and the released image tag")
	destroy := cfg.Removal() == awscdk.RemovalPolicy_DESTROY
	repositoryName := RepositoryName(cfg)
	repository := awsecr.NewRepository(stack, jsii.String("Django"), &awsecr.RepositoryProps{
		RepositoryName: jsii.String(repositoryName),
		// Tags are git commits: a pushed tag never changes meaning. The one
		// exception is the build's layer cache, rewritten by every build.
		ImageTagMutability: awsecr.TagMutability_IMMUTABLE_WITH_EXCLUSION,
		ImageTagMutabilityExclusionFilters: &[]awsecr.ImageTagMutabilityExclusionFilter{
			awsecr.ImageTagMutabilityExclusionFilter_Wildcard(jsii.String(BuildCacheTag)),
		},
		ImageScanOnPush: jsii.Bool(true),
		Encryption:      awsecr.RepositoryEncryption_AES_256(),
		LifecycleRules:  registryLifecycle(&cfg.Registry),
		RemovalPolicy:   cfg.Removal(),
		EmptyOnDelete:   jsii.Bool(destroy),
	})
	name := ImageTagParameterName(cfg)
	// The parameter is created once, holding NoImage, and from then on only
	// the release writes it. An AWS::SSM::Parameter would not do: its
	// provider writes the template's value on any update of the resource
	// (a tag, a description), which would set every service back to no
	// image. This call runs on create only (no OnUpdate), and never
	// overwrites a parameter that already exists.
	parameterArn := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ssm"), Resource: jsii.String("parameter"), ResourceName: jsii.String(name[1:]),
	})
	create := &customresources.AwsSdkCall{
		Service: jsii.String("SSM"),
		Action:  jsii.String("putParameter"),
		Parameters: map[string]any{
			"Name":        name,
			"Value":       NoImage,
			"Type":        "String",
			"Overwrite":   false,
			"Description": "Tag (git commit) of the Django image the services run; " + NoImage + " before the first release. Written by the release only.",
		},
		PhysicalResourceId:       customresources.PhysicalResourceId_Of(jsii.String(name)),
		IgnoreErrorCodesMatching: jsii.String("ParameterAlreadyExists"),
	}
	var remove *customresources.AwsSdkCall
	if destroy {
		remove = &customresources.AwsSdkCall{
			Service: jsii.String("SSM"), Action: jsii.String("deleteParameter"),
			Parameters:               map[string]any{"Name": name},
			IgnoreErrorCodesMatching: jsii.String("ParameterNotFound"),
		}
	}
	customresources.NewAwsCustomResource(stack, jsii.String("ImageTag"), &customresources.AwsCustomResourceProps{
		ResourceType:        jsii.String("Custom::ImageTagParameter"),
		OnCreate:            create,
		OnDelete:            remove,
		InstallLatestAwsSdk: jsii.Bool(false),
		Policy: customresources.AwsCustomResourcePolicy_FromSdkCalls(&customresources.SdkCallsPolicyOptions{
			Resources: jsii.Strings(*parameterArn),
		}),
		RemovalPolicy: cfg.Removal(),
		LogGroup: awslogs.NewLogGroup(stack, jsii.String("ImageTagLogs"), &awslogs.LogGroupProps{
			Retention: Retention(cfg.Compute.LogRetentionDays), RemovalPolicy: cfg.Removal(),
		}),
	})
	suppressImageTagFindings(stack)
	output(stack, "RepositoryUri", "Repository of the Django image; push <uri>:<git sha>", repository.RepositoryUri())
	return &RegistryStack{Stack: stack, Repository: repository, RepositoryName: repositoryName, ImageTagParameterName: name}
}

// registryLifecycle returns the repository's lifecycle rules. ECR applies
// them in priority order, and an image that matches the tags of a rule is
// never expired by a later rule, whatever its count or age there; an
// image with several tags matches a tag pattern when one of its tags does.
//  1. untagged images (a superseded build cache, a failed push) expire
//     after untaggedDays;
//  2. images tagged release-* (the release adds that tag once the services
//     run the image): the last keepReleases are kept, counted by push time,
//     so what the services run and the releases before it stay;
//  3. the build cache (its one mutable tag) is kept: never a release, it
//     would otherwise expire under rule 4 when no build ran for a while;
//  4. any other image (a build never released: a failed release, a commit
//     superseded while it waited) expires unreleasedDays after its push.
func registryLifecycle(r *RegistryConfig) *[]*awsecr.LifecycleRule {
	return &[]*awsecr.LifecycleRule{
		{
			Description:  jsii.String("Expire untagged images (a superseded build cache, a failed push)"),
			RulePriority: jsii.Number(1),
			TagStatus:    awsecr.TagStatus_UNTAGGED,
			MaxImageAge:  awscdk.Duration_Days(jsii.Number(r.UntaggedDays)),
		},
		{
			Description:    jsii.String("Keep the last released images (tagged " + ReleaseTagPrefix + "* after the services ran them): the running release and those before it"),
			RulePriority:   jsii.Number(2),
			TagStatus:      awsecr.TagStatus_TAGGED,
			TagPatternList: jsii.Strings(ReleaseTagPrefix + "*"),
			MaxImageCount:  jsii.Number(r.KeepReleases),
		},
		{
			Description:    jsii.String("Keep the build cache"),
			RulePriority:   jsii.Number(3),
			TagStatus:      awsecr.TagStatus_TAGGED,
			TagPatternList: jsii.Strings(BuildCacheTag),
			MaxImageCount:  jsii.Number(1),
		},
		{
			Description:  jsii.String("Expire builds never released"),
			RulePriority: jsii.Number(4),
			TagStatus:    awsecr.TagStatus_ANY,
			MaxImageAge:  awscdk.Duration_Days(jsii.Number(r.UnreleasedDays)),
		},
	}
}

// suppressImageTagFindings records why cdk-nag's findings on the function
// behind the create-once image tag parameter do not apply.
func suppressImageTagFindings(stack awscdk.Stack) {
	// The provider is a singleton function of the stack, found by its id.
	for _, c := range *stack.Node().Children() {
		if fn, ok := c.(constructs.IConstruct); ok && strings.HasPrefix(*fn.Node().Id(), "AWS679f53fac002430cb0da5b7982bd2287") {
			for _, child := range *fn.Node().FindAll(constructs.ConstructOrder_PREORDER) {
				if *child.Node().Id() == "ServiceRole" {
					suppressManagedPolicy(child, "AWSLambdaBasicExecutionRole", "It only lets the function write its own logs.")
				}
			}
			suppress(fn, "AwsSolutions-L1", "aws-cdk-lib's AwsCustomResource function runs the Node.js runtime that this CDK version pins; it runs once, when the parameter is created.")
		}
	}
}

// ImportRepository returns the repository as a reference of stack, built
// from its name alone; stack then deploys after the Registry stack.
func (r *RegistryStack) ImportRepository(stack awscdk.Stack) awsecr.IRepository {
	stack.AddStackDependency(r.Stack, jsii.String("uses the image repository "+r.RepositoryName))
	return awsecr.Repository_FromRepositoryName(stack, jsii.String("Repository"), jsii.String(r.RepositoryName))
}
