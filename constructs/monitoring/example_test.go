package monitoring_test

import (
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecspatterns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/monitoring"
)

// Alarms and a dashboard for a web service and its database.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Operations"), nil)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	web := awsecspatterns.NewApplicationLoadBalancedFargateService(stack, jsii.String("Web"), &awsecspatterns.ApplicationLoadBalancedFargateServiceProps{
		Cluster:          cluster,
		TaskImageOptions: &awsecspatterns.ApplicationLoadBalancedTaskImageOptions{Image: awsecs.ContainerImage_FromRegistry(jsii.String("shop:3f2c1e9"), nil)},
	})
	db := awsrds.NewDatabaseInstance(stack, jsii.String("Db"), &awsrds.DatabaseInstanceProps{
		Vpc: vpc, Engine: awsrds.DatabaseInstanceEngine_Postgres(&awsrds.PostgresInstanceEngineProps{Version: awsrds.PostgresEngineVersion_VER_18_1()}),
	})

	if _, err := monitoring.New(stack, "Monitoring", &monitoring.Props{
		Topic:                awssns.NewTopic(stack, jsii.String("Alarms"), nil),
		Name:                 "shop-production",
		LoadBalancerFullName: web.LoadBalancer().LoadBalancerFullName(),
		TargetGroupFullName:  web.TargetGroup().TargetGroupFullName(),
		ClusterName:          cluster.ClusterName(),
		Services:             []monitoring.Service{{Name: "web", ServiceName: web.Service().ServiceName()}},
		Database:             monitoring.Database{InstanceIdentifier: db.InstanceIdentifier(), StorageGiB: 100, MemoryGiB: 16, MaxConnections: 1700},
		Thresholds:           monitoring.Thresholds{LatencyP95Seconds: 0.5},
	}); err != nil {
		log.Fatal(err)
	}
}
