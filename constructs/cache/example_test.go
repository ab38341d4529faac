package cache_test

import (
	"fmt"
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/cache"
)

// A Valkey primary with a replica in a second zone, for the Celery broker.
func Example() {
	app := awscdk.NewApp(nil)
	// One environment as a Stage, as CDK Pipelines deploys it.
	production := awscdk.NewStage(app, jsii.String("Production"), nil)
	stack := awscdk.NewStack(production, jsii.String("Data"), nil)
	// The nodes go in isolated subnets (no route to the internet).
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs: jsii.Number(2),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC},
			{Name: jsii.String("Isolated"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		},
	})
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
	fmt.Println("nodes (CloudWatch's CacheClusterId):", broker.NodeIDs())

	template := assertions.Template_FromStack(stack, nil)
	for _, r := range *template.FindResources(jsii.String("AWS::ElastiCache::ReplicationGroup"), nil) {
		p := (*r)["Properties"].(map[string]any)
		fmt.Println("AWS::ElastiCache::ReplicationGroup", p["CacheNodeType"], p["Engine"], p["EngineVersion"], "x"+fmt.Sprint(p["NumCacheClusters"]))
		for _, key := range []string{"AutomaticFailoverEnabled", "MultiAZEnabled", "AtRestEncryptionEnabled", "TransitEncryptionMode", "SnapshotRetentionLimit"} {
			fmt.Printf("  %s=%v\n", key, p[key])
		}
	}
	for _, r := range *template.FindResources(jsii.String("AWS::EC2::SecurityGroupIngress"), nil) {
		p := (*r)["Properties"].(map[string]any)
		fmt.Println("AWS::EC2::SecurityGroupIngress", p["IpProtocol"], p["FromPort"], p["Description"])
	}
	// Output:
	// nodes (CloudWatch's CacheClusterId): [shop-production-001 shop-production-002]
	// AWS::ElastiCache::ReplicationGroup cache.m7g.large valkey 8.0 x2
	//   AutomaticFailoverEnabled=true
	//   MultiAZEnabled=true
	//   AtRestEncryptionEnabled=true
	//   TransitEncryptionMode=required
	//   SnapshotRetentionLimit=7
	// AWS::EC2::SecurityGroupIngress tcp 6379 Celery workers
}
