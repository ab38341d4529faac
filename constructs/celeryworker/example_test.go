package celeryworker_test

import (
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
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

	_, err := celeryworker.New(stack, "Emails", &celeryworker.Props{
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
}
