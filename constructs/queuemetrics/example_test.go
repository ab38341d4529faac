package queuemetrics_test

import (
	"fmt"
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/queuemetrics"
)

// Queue depth of the "celery" queue, for a worker service to scale on.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	token := awssecretsmanager.Secret_FromSecretNameV2(stack, jsii.String("Token"), jsii.String("shop/production/cache"))
	group := awsec2.NewSecurityGroup(stack, jsii.String("Metrics"), &awsec2.SecurityGroupProps{Vpc: vpc})

	metrics, err := queuemetrics.New(stack, "QueueMetrics", &queuemetrics.Props{
		Vpc:           vpc,
		Subnets:       &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
		SecurityGroup: group,
		BrokerHost:    jsii.String("master.shop-production.abc123.use1.cache.amazonaws.com"),
		BrokerPort:    6379,
		BrokerSecret:  token,
		Cluster:       cluster,
	})
	if err != nil {
		log.Fatal(err)
	}
	backlog := metrics.BacklogPerTask("celery") // pass to celeryworker.Props.BacklogPerTask, then AddQueue

	fmt.Println("scale on:", *backlog.Namespace(), *backlog.MetricName(), *backlog.Statistic(), "per", *backlog.Period().ToHumanString())
	template := assertions.Template_FromStack(stack, nil)
	for _, f := range *template.FindResources(jsii.String("AWS::Lambda::Function"), nil) {
		p := (*f)["Properties"].(map[string]any)
		fmt.Println("function:", p["Runtime"], p["Architectures"], p["Handler"], "timeout", p["Timeout"], "s")
		variables := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		fmt.Println("broker:", variables["REDIS_HOST"], variables["REDIS_PORT"], "namespace:", variables["METRIC_NAMESPACE"])
	}
	for _, r := range *template.FindResources(jsii.String("AWS::Events::Rule"), nil) {
		fmt.Println("schedule:", (*r)["Properties"].(map[string]any)["ScheduleExpression"])
	}
	// Output:
	// scale on: Celery BacklogPerTask Average per 1 minute
	// function: provided.al2023 [arm64] bootstrap timeout 30 s
	// broker: master.shop-production.abc123.use1.cache.amazonaws.com 6379 namespace: Celery
	// schedule: rate(1 minute)
}
