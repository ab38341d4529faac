package celerybeat_test

import (
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/celerybeat"
)

// The one Celery beat of an app.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	repository := awsecr.Repository_FromRepositoryName(stack, jsii.String("Repo"), jsii.String("shop"))
	if _, err := celerybeat.New(stack, "Beat", &celerybeat.Props{
		Cluster: cluster,
		Task:    apptask.Props{Image: awsecs.ContainerImage_FromEcrRepository(repository, jsii.String("3f2c1e9"))},
	}); err != nil {
		log.Fatal(err)
	}
}
