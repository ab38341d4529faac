package djangoweb_test

import (
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/djangoweb"
)

// Django behind HTTPS, two to six tasks, timeouts checked at synthesis.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	repository := awsecr.Repository_FromRepositoryName(stack, jsii.String("Repo"), jsii.String("shop"))

	web, err := djangoweb.New(stack, "Web", &djangoweb.Props{
		Cluster: cluster,
		Task: apptask.Props{
			Image:       awsecs.ContainerImage_FromEcrRepository(repository, jsii.String("3f2c1e9")),
			Environment: map[string]string{"DJANGO_SETTINGS_MODULE": "config.settings.production"},
		},
		Gunicorn:       djangoweb.Gunicorn{Workers: 3, Threads: 4},
		MinTasks:       2,
		MaxTasks:       6,
		CertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100",
	})
	if err != nil {
		log.Fatal(err) // e.g. an ALB idle timeout shorter than gunicorn's timeout
	}
	_ = web.URL()
}
