package monitoring_test

import (
	"fmt"
	"log"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
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
		Vpc: vpc, StorageEncrypted: jsii.Bool(true), Engine: awsrds.DatabaseInstanceEngine_Postgres(&awsrds.PostgresInstanceEngineProps{Version: awsrds.PostgresEngineVersion_VER_18_1()}),
	})

	m, err := monitoring.New(stack, "Monitoring", &monitoring.Props{
		Topic:                awssns.NewTopic(stack, jsii.String("Alarms"), nil),
		Name:                 "shop-production",
		LoadBalancerFullName: web.LoadBalancer().LoadBalancerFullName(),
		TargetGroupFullName:  web.TargetGroup().TargetGroupFullName(),
		ClusterName:          cluster.ClusterName(),
		Services:             []monitoring.Service{{Name: "web", ServiceName: web.Service().ServiceName()}},
		Database:             monitoring.Database{InstanceIdentifier: db.InstanceIdentifier(), StorageGiB: 100, MemoryGiB: 16, MaxConnections: 1700},
		Thresholds:           monitoring.Thresholds{LatencyP95Seconds: 0.5},
	})
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println("construct:", *m.Node().Path(), "dashboard:", *m.Dashboard().Node().Id())
	template := assertions.Template_FromStack(stack, nil)
	var alarms []string
	for _, a := range *template.FindResources(jsii.String("AWS::CloudWatch::Alarm"), nil) {
		p := (*a)["Properties"].(map[string]any)
		operator := map[string]string{"GreaterThanThreshold": ">", "LessThanThreshold": "<"}[p["ComparisonOperator"].(string)]
		threshold := fmt.Sprint(p["Threshold"])
		if bytes := p["Threshold"].(float64); bytes >= 1<<30 {
			threshold = fmt.Sprintf("%.1f GiB", bytes/(1<<30))
		}
		alarms = append(alarms, fmt.Sprintf("%s %s %s", p["AlarmName"], operator, threshold))
	}
	sort.Strings(alarms)
	for _, a := range alarms {
		fmt.Println(a)
	}
	// Output:
	// construct: Operations/Monitoring dashboard: Dashboard
	// shop-production-alb-5xx > 5
	// shop-production-database-connections > 1360
	// shop-production-database-cpu > 80
	// shop-production-database-memory < 1.6 GiB
	// shop-production-database-storage < 10.0 GiB
	// shop-production-latency-p95 > 0.5
	// shop-production-latency-p99 > 3
	// shop-production-target-5xx > 5
	// shop-production-unhealthy-hosts > 0
	// shop-production-web-cpu > 85
	// shop-production-web-memory > 85
	// shop-production-web-tasks-missing > 0
}
