package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/constructs-go/constructs/v10"
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
	// TaskSubnetsParameter names the SSM parameter (a StringList) that
	// holds the ids of the subnets one-off tasks run in (the private
	// subnets, the public ones without NAT: network.TaskSubnets), for later
	// stacks to read at deploy time (see shared.go).
	TaskSubnetsParameter string
}

// NewNetworkStack creates the Network stack of cfg's environment.
func NewNetworkStack(scope constructs.Construct, cfg *Config) (*NetworkStack, error) {
	stack := newStack(scope, cfg, NetworkLayer, "VPC with public, private and isolated subnets, NAT, S3 endpoint and flow logs")
	net, err := network.New(stack, "Network", &network.Props{
		AvailabilityZones: cfg.AvailabilityZones,
		Cidr:              cfg.Network.Cidr,
		Nat:               cfg.Network.Nat,
		NatGateways:       cfg.Network.NatGateways,
		NatInstanceType:   cfg.Network.NatInstanceType,
		FlowLogRetention:  Retention(cfg.Network.FlowLogRetentionDays),
		RemovalPolicy:     cfg.Removal(),
	})
	if err != nil {
		return nil, err
	}
	suppressNetworkFindings(net)
	selection, _ := net.TaskSubnets()
	tasks := net.Vpc().SelectSubnets(selection).SubnetIds
	return &NetworkStack{
		Stack: stack, Vpc: net.Vpc(),
		TaskSubnetsParameter: shareList(stack, cfg, NetworkLayer, *selection.SubnetGroupName+"SubnetIds", tasks),
	}, nil
}

// suppressNetworkFindings records why the NAT instances keep the findings
// cdk-nag reports for general-purpose instances.
func suppressNetworkFindings(net *network.Network) {
	for _, instance := range net.NatInstances() {
		suppress(instance, "AwsSolutions-EC28",
			"A NAT instance (network.nat: instance) holds no state and no application: detailed monitoring would cost more than the instance; its network metrics are in the VPC flow logs.")
		suppress(instance, "AwsSolutions-EC29",
			"A NAT instance is replaceable by design (the VPC's route follows the instance the stack creates); termination protection would block the stack from replacing it.")
	}
}
