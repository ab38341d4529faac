package celerybeat_test

import (
	"fmt"
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/celerybeat"
)

// The one Celery beat of an app: one task, never autoscaled, replaced by
// stopping the old task first so that no periodic task is sent twice.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	repository := awsecr.Repository_FromRepositoryName(stack, jsii.String("Repo"), jsii.String("shop"))
	beat, err := celerybeat.New(stack, "Beat", &celerybeat.Props{
		Cluster: cluster,
		Task:    apptask.Props{Image: awsecs.ContainerImage_FromEcrRepository(repository, jsii.String("3f2c1e9"))},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("construct:", *beat.Node().Path())

	template := assertions.Template_FromStack(stack, nil)
	for _, s := range *template.FindResources(jsii.String("AWS::ECS::Service"), nil) {
		props := (*s)["Properties"].(map[string]any)
		deployment := props["DeploymentConfiguration"].(map[string]any)
		fmt.Println("AWS::ECS::Service desired:", props["DesiredCount"],
			"min healthy:", deployment["MinimumHealthyPercent"], "max:", deployment["MaximumPercent"])
	}
	for _, d := range *template.FindResources(jsii.String("AWS::ECS::TaskDefinition"), nil) {
		props := (*d)["Properties"].(map[string]any)
		c := props["ContainerDefinitions"].([]any)[0].(map[string]any)
		fmt.Println("AWS::ECS::TaskDefinition", props["Cpu"], props["Memory"], c["Command"])
	}
	fmt.Println("scalable targets:", len(*template.FindResources(jsii.String("AWS::ApplicationAutoScaling::ScalableTarget"), nil)))
	// Output:
	// construct: Compute/Beat
	// AWS::ECS::Service desired: 1 min healthy: 0 max: 100
	// AWS::ECS::TaskDefinition 256 512 [celery -A config.celery_app beat --loglevel=INFO --schedule=/tmp/celerybeat-schedule]
	// scalable targets: 0
}
