package celeryworker_test

import (
	"fmt"
	"log"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/celeryworker"
)

// Workers of the "emails" queue on Fargate Spot, scaled on the backlog per
// task that package queuemetrics publishes.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc, EnableFargateCapacityProviders: jsii.Bool(true)})
	repository := awsecr.Repository_FromRepositoryName(stack, jsii.String("Repo"), jsii.String("shop"))
	backlog := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("Celery"), MetricName: jsii.String("BacklogPerTask"),
		DimensionsMap: &map[string]*string{"Cluster": cluster.ClusterName(), "Queue": jsii.String("emails")},
	})

	worker, err := celeryworker.New(stack, "Emails", &celeryworker.Props{
		Cluster:        cluster,
		Queue:          "emails",
		Concurrency:    8,
		Task:           apptask.Props{Image: awsecs.ContainerImage_FromEcrRepository(repository, jsii.String("3f2c1e9"))},
		BacklogPerTask: backlog,
		MaxTasks:       10,
		Spot:           true,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("construct:", *worker.Node().Path())

	template := assertions.Template_FromStack(stack, nil)
	for _, s := range *template.FindResources(jsii.String("AWS::ECS::Service"), nil) {
		props := (*s)["Properties"].(map[string]any)
		strategy := props["CapacityProviderStrategy"].([]any)[0].(map[string]any)
		deployment := props["DeploymentConfiguration"].(map[string]any)
		fmt.Println("AWS::ECS::Service capacity:", strategy["CapacityProvider"],
			"min healthy:", deployment["MinimumHealthyPercent"], "max:", deployment["MaximumPercent"])
	}
	for _, d := range *template.FindResources(jsii.String("AWS::ECS::TaskDefinition"), nil) {
		c := (*d)["Properties"].(map[string]any)["ContainerDefinitions"].([]any)[0].(map[string]any)
		fmt.Println("AWS::ECS::TaskDefinition stop timeout:", c["StopTimeout"], c["Command"])
	}
	for _, s := range *template.FindResources(jsii.String("AWS::ApplicationAutoScaling::ScalableTarget"), nil) {
		props := (*s)["Properties"].(map[string]any)
		fmt.Println("AWS::ApplicationAutoScaling::ScalableTarget", props["MinCapacity"], "to", props["MaxCapacity"])
	}
	var targets []string
	for _, p := range *template.FindResources(jsii.String("AWS::ApplicationAutoScaling::ScalingPolicy"), nil) {
		c := (*p)["Properties"].(map[string]any)["TargetTrackingScalingPolicyConfiguration"].(map[string]any)
		if m, ok := c["CustomizedMetricSpecification"].(map[string]any); ok {
			targets = append(targets, fmt.Sprint(m["MetricName"], " ", c["TargetValue"]))
		} else {
			targets = append(targets, fmt.Sprint("CPU ", c["TargetValue"]))
		}
	}
	sort.Strings(targets)
	fmt.Println("scaling targets:", strings.Join(targets, ", "))
	// Output:
	// construct: Compute/Emails
	// AWS::ECS::Service capacity: FARGATE_SPOT min healthy: 100 max: 200
	// AWS::ECS::TaskDefinition stop timeout: 120 [celery -A config.celery_app worker --loglevel=INFO --queues=emails --concurrency=8 --hostname=emails@%h]
	// AWS::ApplicationAutoScaling::ScalableTarget 1 to 10
	// scaling targets: BacklogPerTask 16, CPU 70
}
