package releasepipeline_test

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/releasepipeline"
)

// The release pipeline of an app whose services and migration task exist,
// without frontends (the default) and with a manual approval.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Pipeline"), nil)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	repository := awsecr.NewRepository(stack, jsii.String("Repo"), nil)
	migration := awsecs.NewFargateTaskDefinition(stack, jsii.String("Migrate"), &awsecs.FargateTaskDefinitionProps{Family: jsii.String("shop-prod-migrate")})
	migration.AddContainer(jsii.String("django"), &awsecs.ContainerDefinitionOptions{
		Image: awsecs.ContainerImage_FromEcrRepository(repository, jsii.String("3f2c1e9")),
	})
	webTask := awsecs.NewFargateTaskDefinition(stack, jsii.String("WebTask"), nil)
	webTask.AddContainer(jsii.String("django"), &awsecs.ContainerDefinitionOptions{
		Image: awsecs.ContainerImage_FromEcrRepository(repository, jsii.String("3f2c1e9")),
	})
	web := awsecs.NewFargateService(stack, jsii.String("Web"), &awsecs.FargateServiceProps{Cluster: cluster, TaskDefinition: webTask})
	group := awsec2.NewSecurityGroup(stack, jsii.String("Migrations"), &awsec2.SecurityGroupProps{Vpc: vpc})

	pipeline, err := releasepipeline.New(stack, "Release", &releasepipeline.Props{
		ConnectionArn:          "arn:aws:codeconnections:eu-west-1:123456789012:connection/0f0e0d0c-0b0a-0908-0706-050403020100",
		Repository:             "acme/shop",
		Branch:                 "main",
		ImageRepository:        repository,
		Arm64:                  true,
		ManualApproval:         true,
		Cluster:                cluster,
		Migration:              migration,
		MigrationSubnets:       vpc.SelectSubnets(nil).SubnetIds,
		MigrationSecurityGroup: group,
		ComputeStackName:       "shop-prod-compute",
		TagParameterName:       "/shop/prod/image-tag",
		Services:               []awsecs.IBaseService{web},
		DeployRoleArn:          jsii.String("arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1"),
		Notifications:          awssns.NewTopic(stack, jsii.String("Releases"), nil),
		EncryptionKey:          awskms.NewKey(stack, jsii.String("Key"), nil),
	})
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println("construct:", *pipeline.Node().Path())
	template := assertions.Template_FromStack(stack, nil)
	for _, p := range *template.FindResources(jsii.String("AWS::CodePipeline::Pipeline"), nil) {
		props := (*p)["Properties"].(map[string]any)
		fmt.Print(props["PipelineType"], " ", props["ExecutionMode"], ", stages:")
		for _, stage := range props["Stages"].([]any) {
			fmt.Print(" ", stage.(map[string]any)["Name"])
		}
		fmt.Println()
	}
	// What the Release step gets (its scripts read these variables).
	release := (*template.FindResources(jsii.String("AWS::CodeBuild::Project"), map[string]any{
		"Properties": map[string]any{"ConcurrentBuildLimit": 1},
	}))
	for _, p := range release {
		for _, v := range (*p)["Properties"].(map[string]any)["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
			v := v.(map[string]any)
			if value, ok := v["Value"].(string); ok {
				quoted, _ := json.Marshal(value)
				fmt.Printf("%s=%s\n", v["Name"], quoted)
			}
		}
	}
	// Output:
	// construct: Pipeline/Release
	// V2 QUEUED, stages: Source Build Approve Release
	// CFN_ROLE_ARN="arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1"
	// DEPLOY_TIMEOUT_SECONDS="1800"
	// FRONTENDS=""
	// MIGRATE_FAMILY="shop-prod-migrate"
	// PUBLISH_FRONTENDS="true"
	// STACK="shop-prod-compute"
	// STATIC_FAMILY=""
	// TAG_PARAMETER="/shop/prod/image-tag"
	// TASK_TIMEOUT_SECONDS="1800"
}
