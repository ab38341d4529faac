package network_test

import (
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/network"
)

// A production VPC: one NAT gateway per zone and a year of flow logs.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Network"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")},
	})
	net, err := network.New(stack, "Network", &network.Props{
		AvailabilityZones: []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"},
		NatGateways:       3,
		FlowLogRetention:  awslogs.RetentionDays_ONE_YEAR,
	})
	if err != nil {
		log.Fatal(err)
	}
	// Place tasks in the private subnets, the database in the isolated ones.
	_ = net.Vpc().SelectSubnets(&awsec2.SubnetSelection{SubnetGroupName: jsii.String(network.IsolatedSubnets)})
}
