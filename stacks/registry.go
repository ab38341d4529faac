package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// RegistryLayer is the layer name of the Registry stack.
const RegistryLayer = "registry"

// BuildCacheTag is the one mutable tag: the image build's layer cache.
const BuildCacheTag = "buildcache"

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
	// ImageTagParameterName is the SSM parameter whose value is the tag of
	// the image the services run: the single owner of that tag.
	ImageTagParameterName string
}

// NewRegistryStack creates the Registry stack of cfg's environment.
func NewRegistryStack(scope constructs.Construct, cfg *Config) *RegistryStack {
	stack := newStack(scope, cfg, RegistryLayer, "ECR repository of the Django image and the released image tag")
	destroy := cfg.Removal() == awscdk.RemovalPolicy_DESTROY
	repository := awsecr.NewRepository(stack, jsii.String("Django"), &awsecr.RepositoryProps{
		// Tags are git commits: a pushed tag never changes meaning. The one
		// exception is the build's layer cache, rewritten by every build.
		ImageTagMutability: awsecr.TagMutability_IMMUTABLE_WITH_EXCLUSION,
		ImageTagMutabilityExclusionFilters: &[]awsecr.ImageTagMutabilityExclusionFilter{
			awsecr.ImageTagMutabilityExclusionFilter_Wildcard(jsii.String(BuildCacheTag)),
		},
		ImageScanOnPush: jsii.Bool(true),
		Encryption:      awsecr.RepositoryEncryption_AES_256(),
		LifecycleRules: &[]*awsecr.LifecycleRule{
			{
				Description:  jsii.String("Expire untagged images (failed or superseded pushes)"),
				RulePriority: jsii.Number(1),
				TagStatus:    awsecr.TagStatus_UNTAGGED,
				MaxImageAge:  awscdk.Duration_Days(jsii.Number(cfg.Registry.UntaggedDays)),
			},
			{
				Description:   jsii.String("Keep the last releases for rollbacks"),
				RulePriority:  jsii.Number(2),
				TagStatus:     awsecr.TagStatus_ANY,
				MaxImageCount: jsii.Number(cfg.Registry.KeepImages),
			},
		},
		RemovalPolicy: cfg.Removal(),
		EmptyOnDelete: jsii.Bool(destroy),
	})
	name := "/" + cfg.Project + "/" + cfg.Env + "/image-tag"
	// The template sets only the initial value: the release process writes
	// the commit it deploys, and CloudFormation does not reset a parameter
	// whose definition has not changed. Keep this resource's properties
	// constant (a test pins them).
	awsssm.NewStringParameter(stack, jsii.String("ImageTag"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(name),
		StringValue:   jsii.String(NoImage),
		Description:   jsii.String("Tag (git commit) of the Django image the services run; " + NoImage + " before the first release"),
	})
	output(stack, "RepositoryUri", "Repository of the Django image; push <uri>:<git sha>", repository.RepositoryUri())
	return &RegistryStack{Stack: stack, Repository: repository, ImageTagParameterName: name}
}
