package network_test

import (
	"fmt"
	"log"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/network"
)

// A production VPC: one NAT gateway per zone and a year of flow logs.
func Example() {
	app := awscdk.NewApp(nil)
	// One environment as a Stage, as CDK Pipelines deploys it.
	production := awscdk.NewStage(app, jsii.String("Production"), nil)
	stack := awscdk.NewStack(production, jsii.String("Network"), &awscdk.StackProps{
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
	isolated := net.Vpc().SelectSubnets(&awsec2.SubnetSelection{SubnetGroupName: jsii.String(network.IsolatedSubnets)})
	fmt.Println("isolated subnets:", len(*isolated.SubnetIds))

	template := assertions.Template_FromStack(stack, nil)
	var subnets []string
	for _, subnet := range *template.FindResources(jsii.String("AWS::EC2::Subnet"), nil) {
		props := (*subnet)["Properties"].(map[string]any)
		group := ""
		for _, tag := range props["Tags"].([]any) {
			if tag := tag.(map[string]any); tag["Key"] == "aws-cdk:subnet-name" {
				group = tag["Value"].(string)
			}
		}
		subnets = append(subnets, fmt.Sprintf("AWS::EC2::Subnet %-8s %-13s %s", group, props["CidrBlock"], props["AvailabilityZone"]))
	}
	// Public, then private, then isolated; by zone within a tier.
	tier := map[byte]int{'u': 0, 'r': 1, 's': 2}
	sort.Slice(subnets, func(i, j int) bool {
		a, b := subnets[i][len("AWS::EC2::Subnet P"):], subnets[j][len("AWS::EC2::Subnet P"):]
		if tier[a[0]] != tier[b[0]] {
			return tier[a[0]] < tier[b[0]]
		}
		return subnets[i] < subnets[j]
	})
	for _, s := range subnets {
		fmt.Println(s)
	}
	for _, typ := range []string{"AWS::EC2::NatGateway", "AWS::EC2::VPCEndpoint", "AWS::EC2::FlowLog"} {
		fmt.Println(typ, len(*template.FindResources(jsii.String(typ), nil)))
	}
	for _, group := range *template.FindResources(jsii.String("AWS::Logs::LogGroup"), nil) {
		fmt.Println("AWS::Logs::LogGroup RetentionInDays", (*group)["Properties"].(map[string]any)["RetentionInDays"], "DeletionPolicy", (*group)["DeletionPolicy"])
	}
	// Output:
	// isolated subnets: 3
	// AWS::EC2::Subnet Public   10.0.0.0/24   eu-west-1a
	// AWS::EC2::Subnet Public   10.0.1.0/24   eu-west-1b
	// AWS::EC2::Subnet Public   10.0.2.0/24   eu-west-1c
	// AWS::EC2::Subnet Private  10.0.16.0/20  eu-west-1a
	// AWS::EC2::Subnet Private  10.0.32.0/20  eu-west-1b
	// AWS::EC2::Subnet Private  10.0.48.0/20  eu-west-1c
	// AWS::EC2::Subnet Isolated 10.0.64.0/24  eu-west-1a
	// AWS::EC2::Subnet Isolated 10.0.65.0/24  eu-west-1b
	// AWS::EC2::Subnet Isolated 10.0.66.0/24  eu-west-1c
	// AWS::EC2::NatGateway 3
	// AWS::EC2::VPCEndpoint 1
	// AWS::EC2::FlowLog 1
	// AWS::Logs::LogGroup RetentionInDays 365 DeletionPolicy Retain
}
