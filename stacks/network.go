package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/network"
)

// NetworkLayer is the layer name of the Network stack.
const NetworkLayer = "network"

// NetworkStack holds the environment's VPC.
type NetworkStack struct {
	// Stack is the CloudFormation stack.
	Stack awscdk.Stack
	// Vpc is the VPC that every other layer places its resources in.
	Vpc awsec2.IVpc
	// PrivateSubnetsParameter names the SSM parameter (a StringList) that
	// holds the private subnets' ids, for later stacks to read at deploy
	// time (see shared.go).
	PrivateSubnetsParameter string
}

// NewNetworkStack creates the Network stack of cfg's environment.
func NewNetworkStack(scope constructs.Construct, cfg *Config) (*NetworkStack, error) {
	stack := newStack(scope, cfg, NetworkLayer, "VPC with public, private and isolated subnets, NAT, S3 endpoint and flow logs")
	net, err := network.New(stack, "Network", &network.Props{
		AvailabilityZones: cfg.AvailabilityZones,
		Cidr:              cfg.Network.Cidr,
		NatGateways:       cfg.Network.NatGateways,
		FlowLogRetention:  Retention(cfg.Network.FlowLogRetentionDays),
		RemovalPolicy:     cfg.Removal(),
	})
	if err != nil {
		return nil, err
	}
	private := net.Vpc().SelectSubnets(&awsec2.SubnetSelection{SubnetGroupName: jsii.String(network.PrivateSubnets)}).SubnetIds
	return &NetworkStack{
		Stack: stack, Vpc: net.Vpc(),
		PrivateSubnetsParameter: shareList(stack, cfg, NetworkLayer, "PrivateSubnetIds", private),
	}, nil
}
