package cache_test

import (
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/cache"
)

// A Valkey primary with a replica in a second zone, for the Celery broker.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Data"), nil)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
	workers := awsec2.NewSecurityGroup(stack, jsii.String("Workers"), &awsec2.SecurityGroupProps{Vpc: vpc})

	broker, err := cache.New(stack, "Cache", &cache.Props{
		Vpc:                   vpc,
		Subnets:               &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		Name:                  "shop-production",
		NodeType:              "cache.m7g.large",
		Nodes:                 2,
		SnapshotRetentionDays: 7,
	})
	if err != nil {
		log.Fatal(err)
	}
	broker.AllowFrom(workers, "Celery workers")
	_ = broker.URLSecret() // REDIS_URL, CELERY_BROKER_URL: its "url" field, rediss://:<token>@<primary>:6379/0?ssl_cert_reqs=required
}
