package stacks

import (
	"github.com/djangocdk/djangocdk/constructs/network"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/githuboidc"
	"github.com/djangocdk/djangocdk/constructs/releasepipeline"
)

// PipelineLayer is the layer name of the Pipeline stack.
const PipelineLayer = "pipeline"

// PipelineStack holds the release drivers of pipeline.driver: the release
// pipeline and its notification topic, GitHub's roles, or both.
type PipelineStack struct {
	// Stack is the CloudFormation stack.
	Stack awscdk.Stack
	// Pipeline is the release pipeline; nil with the github driver.
	Pipeline *releasepipeline.Pipeline
	// Notifications receives failed releases and pending approvals; nil
	// with the github driver.
	Notifications awssns.ITopic
	// PipelineNameParameter names the SSM parameter that holds the
	// pipeline's generated name (see shared.go); "" with the github driver.
	PipelineNameParameter string
	// GitHub holds the GitHub Actions roles; nil with the codepipeline driver.
	GitHub *githuboidc.GitHub
}

// NewPipelineStack creates the Pipeline stack of cfg's environment.
func NewPipelineStack(scope constructs.Construct, cfg *Config, net *NetworkStack, data *DataStack, registry *RegistryStack, compute *ComputeStack, front *FrontendStack) (*PipelineStack, error) {
	stack := newStack(scope, cfg, PipelineLayer, "Release pipeline: build by commit, migrate once, then deploy")
	p := cfg.Pipeline
	var frontends []releasepipeline.Frontend
	if front != nil {
		for _, app := range front.Apps {
			prefix := exportName(app.Config.Name)
			frontends = append(frontends, releasepipeline.Frontend{
				BuildDir:     app.Config.BuildDir,
				AssetsPrefix: strings.TrimSuffix(strings.TrimPrefix(app.AssetsPath(), "/"), "*"),
				Bucket:       awss3.Bucket_FromBucketName(stack, jsii.String(prefix+"Bucket"), readShared(stack, front.Stack, app.BucketParameter)),
				Distribution: awscloudfront.Distribution_FromDistributionAttributes(stack, jsii.String(prefix+"Distribution"), &awscloudfront.DistributionAttributes{
					DistributionId: readShared(stack, front.Stack, app.DistributionParameter),
					DomainName:     app.Distribution().DistributionDomainName(), // not used here
				}),
			})
		}
	}
	frontendBuild := ""
	if len(frontends) > 0 {
		frontendBuild = p.FrontendBuild
	}
	// The cluster and the services by their generated names, read at deploy time.
	cluster := awsecs.Cluster_FromClusterAttributes(stack, jsii.String("Cluster"), &awsecs.ClusterAttributes{
		ClusterName: compute.Read(stack, compute.Shared.ClusterName),
		Vpc:         net.Vpc, // required by the type; nothing here uses it
	})
	var services []awsecs.IBaseService
	for _, process := range cfg.services() {
		services = append(services, awsecs.FargateService_FromFargateServiceAttributes(stack, jsii.String("Service-"+process.Name), &awsecs.FargateServiceAttributes{
			Cluster: cluster, ServiceName: compute.Read(stack, compute.Shared.ServiceNames[process.Name]),
		}))
	}
	// The role the CDK bootstrap gives CloudFormation: the Deploy stage
	// updates the Compute stack with it, as "cdk deploy" does.
	deployRole := awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-"+
		*awscdk.DefaultStackSynthesizer_DEFAULT_QUALIFIER()+"-cfn-exec-role-${AWS::AccountId}-${AWS::Region}"), nil)

	release := &releasepipeline.Props{
		ConnectionArn:          p.ConnectionArn,
		Repository:             p.Repository,
		Branch:                 p.Branch,
		ImageRepository:        registry.ImportRepository(stack),
		Arm64:                  cfg.Compute.CpuArchitecture == "ARM64",
		Dockerfile:             p.Dockerfile,
		DockerContext:          p.DockerContext,
		CheckSettings:          p.CheckMigrationsSettings,
		FrontendBuild:          frontendBuild,
		NodeVersion:            p.NodeVersion,
		Frontends:              frontends,
		ManualApproval:         p.ManualApproval,
		Cluster:                cluster,
		Migration:              compute.Migration.Task().TaskDefinition(),
		StaticFiles:            compute.StaticFiles.Task().TaskDefinition(),
		TaskTimeoutMinutes:     p.TaskTimeoutMinutes,
		DeployTimeoutMinutes:   p.DeployTimeoutMinutes,
		ReleaseProjectName:     cfg.StackName("release"),
		MigrationSubnets:       readSharedList(stack, net.Stack, net.TaskSubnetsParameter),
		MigrationPublicIP:      cfg.Network.Nat == network.NatNone,
		MigrationSecurityGroup: data.TaskSecurityGroups.For(MigrationKind),
		ComputeStackName:       cfg.StackName(ComputeLayer),
		TagParameterName:       registry.ImageTagParameterName,
		StackParameterNames:    compute.DeployTimeParameters,
		Services:               services,
		DeployRoleArn:          deployRole,
		LogRetention:           Retention(p.LogRetentionDays),
		RemovalPolicy:          cfg.Removal(),
	}
	result := &PipelineStack{Stack: stack}
	if p.UsesGitHub() {
		var err error
		if result.GitHub, err = newGitHubDriver(stack, cfg, release); err != nil {
			return nil, err
		}
	}
	if !p.UsesCodePipeline() {
		return result, nil
	}
	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the release pipeline's artifacts, builds and notifications"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     cfg.Removal(),
	})
	topic := awssns.NewTopic(stack, jsii.String("Notifications"), &awssns.TopicProps{
		DisplayName: jsii.String(cfg.StackName("releases")),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	// CodeStar Notifications publishes to the encrypted topic.
	key.GrantEncryptDecrypt(awsiam.NewServicePrincipal(jsii.String("codestar-notifications.amazonaws.com"), nil))
	for _, email := range cfg.Pipeline.NotificationEmails {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}

	release.Notifications, release.EncryptionKey = topic, key
	pipeline, err := releasepipeline.New(stack, "Release", release)
	if err != nil {
		return nil, err
	}
	output(stack, "PipelineName", "The release pipeline", pipeline.Pipeline().PipelineName())
	output(stack, "ReleaseCommand", "Releases an image already in the repository by hand, as the pipeline's Release step does (frontends excepted); set SHA to its tag",
		jsii.String(ReleaseCommand(cfg.StackName("release"))))
	suppressPipelineFindings(pipeline)
	result.Pipeline, result.Notifications = pipeline, topic
	result.PipelineNameParameter = share(stack, cfg, PipelineLayer, PipelineNameKey, pipeline.Pipeline().PipelineName())
	return result, nil
}

// ReleaseCommand is the shell command that starts the Release project by
// hand for the image tagged $SHA: the same scripts, role and limits as the
// pipeline's Release step, without the frontends (their build is the
// pipeline's Build artifact).
func ReleaseCommand(project string) string {
	return "aws codebuild start-build --project-name " + project +
		` --environment-variables-override "name=IMAGE_TAG,value=$SHA,type=PLAINTEXT" "name=PUBLISH_FRONTENDS,value=false,type=PLAINTEXT"`
}

// suppressPipelineFindings records why cdk-nag's findings on the pipeline
// do not apply.
func suppressPipelineFindings(p *releasepipeline.Pipeline) {
	suppress(p.ArtifactBucket(), "AwsSolutions-S1",
		"Transient pipeline artifacts, encrypted with the pipeline's key and expired after 30 days; only the pipeline's roles use the bucket and CloudTrail records their calls.")
	// Every role of the pipeline gets CDK's grants on the pipeline's own
	// artifact bucket and key, and each build project on its own log and
	// report groups.
	for _, c := range *p.Pipeline().Node().Scope().Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if *c.Node().Id() != "DefaultPolicy" {
			continue
		}
		suppressPolicyWildcards(c.Node().DefaultChild(),
			"Object-level access to the pipeline's own artifact bucket and data keys of its own key (CDK grants), and CodeBuild's own log and report groups.",
			"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*", "Action::s3:Abort*", "Action::s3:DeleteObject*",
			"Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*",
			matching(`/^Resource::<ReleaseArtifacts[0-9A-F]{8}\.Arn>\/\*$/g`),
			matching(`/^Resource::arn:aws:codebuild:[a-z0-9-]+:[0-9]{12}:report-group\/<Release(Build|ReleaseProject)[0-9A-F]{8}>-\*$/g`),
			matching(`/^Resource::arn:aws:logs:[a-z0-9-]+:[0-9]{12}:log-group:\/aws\/codebuild\/<Release(Build|ReleaseProject)[0-9A-F]{8}>:\*$/g`))
	}
	suppressWildcards(p.BuildProject().Role(), "ecr:GetAuthorizationToken takes no resource; pushing is limited to the app's repository.",
		"Resource::*")
	suppressReleaseGrants(p.ReleaseProject().Role())
}

// suppressReleaseGrants records why cdk-nag's wildcard findings on a role
// that releasepipeline granted the release (the Release project's, the
// GitHub release role) do not apply.
func suppressReleaseGrants(role awsiam.IRole) {
	suppressWildcards(role,
		"ecs:DescribeTaskDefinition, RegisterTaskDefinition and ListTasks (the latter limited to the app's cluster), application-autoscaling:DescribeScalableTargets and elasticloadbalancing:DescribeTargetHealth take no resource; "+
			"RunTask is limited to revisions of the migrate and static families in the app's cluster, DescribeTasks and StopTask to that cluster's tasks; "+
			"the stack ARN ends in its generated id; the frontend buckets' objects are what a publish writes; the CDK bootstrap's version parameter is named by its qualifier.",
		"Resource::*",
		matching(`/^Resource::arn:aws:ecs:[a-z0-9-]+:[0-9]{12}:task-definition\/[a-z0-9-]+-(migrate|static):\*$/g`),
		matching(`/^Resource::arn:aws:ecs:[a-z0-9-]+:[0-9]{12}:task\/<SsmParameterValue[a-z0-9]+sharedcomputeClusterName[0-9A-F]+Parameter>\/\*$/g`),
		matching(`/^Resource::arn:aws:cloudformation:[a-z0-9-]+:[0-9]{12}:stack\/[a-z0-9-]+-compute\/\*$/g`),
		matching(`/^Resource::arn:aws:s3:::<SsmParameterValue[a-z0-9]+sharedfrontend[A-Za-z0-9]+BucketName[0-9A-F]+Parameter>\/\*$/g`),
		matching(`/^Resource::arn:aws:ssm:[a-z0-9-]+:[0-9]{12}:parameter\/cdk-bootstrap\/\*$/g`))
}
