// Package network provides a VPC laid out for a Django + Celery deployment:
// public subnets for the load balancer and NAT gateways, private subnets with
// egress for ECS tasks, isolated subnets for the database and the cache, an S3
// gateway endpoint and VPC flow logs.
package network

import (
	"errors"
	"fmt"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
	"net/netip"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Subnet group names. Other constructs select subnets by these names, and
// they are part of the subnets' logical IDs: changing them replaces subnets.
const (
	// PublicSubnets hold the internet-facing load balancer and the NAT gateways.
	PublicSubnets = "Public"
	// PrivateSubnets hold ECS tasks; they reach the internet through NAT.
	PrivateSubnets = "Private"
	// IsolatedSubnets hold the database and the cache; no route to the internet.
	IsolatedSubnets = "Isolated"
)

// Subnet sizes. Private subnets are the largest because every Fargate task
// (awsvpc networking) takes one address.
const (
	publicCidrMask   = 24
	privateCidrMask  = 20
	isolatedCidrMask = 24
	// MaxCidrPrefix is the smallest VPC (largest prefix length) that holds
	// the three subnet tiers in three availability zones: the private /20s
	// are aligned after the public /24s, so a /18 is too small.
	MaxCidrPrefix = 17
	// MinCidrPrefix is the largest VPC AWS allows.
	MinCidrPrefix = 16
)

// The number of availability zones a Network spans: two for redundancy,
// three at most so the subnet tiers fit in a /17.
const (
	MinZones = 2
	MaxZones = 3
)

// Props configures a Network.
type Props struct {
	// AvailabilityZones the subnets span (2 or 3), one subnet of each tier
	// per zone. Required: naming them keeps synthesis free of lookups.
	AvailabilityZones []string
	// Cidr is the VPC's IPv4 range, a private /16 or /17.
	// Default: "10.0.0.0/16".
	Cidr string
	// NatGateways is how many NAT gateways to run, from 1 to one per
	// availability zone. One is cheap; one per zone survives a zone outage.
	// Default: 1.
	NatGateways int
	// FlowLogRetention is how long VPC flow logs are kept.
	// Default: awslogs.RetentionDays_ONE_MONTH.
	FlowLogRetention awslogs.RetentionDays
	// RemovalPolicy applies to the flow log group: RETAIN or DESTROY.
	// Default: awscdk.RemovalPolicy_RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
}

// Network is a construct holding a VPC with three subnet tiers, flow logs
// and an S3 endpoint. Tags, dependencies and cdk-nag suppressions applied to
// it apply to everything it holds.
type Network struct {
	constructs.Construct
	vpc          awsec2.Vpc
	flowLogGroup awslogs.LogGroup
}

// New creates a Network under scope. When props are invalid it creates
// nothing and returns every problem at once, each line starting with the
// construct's path and naming the field:
//
//	Shop/Network: network.Props.NatGateways: 4 is not between 1 and the 3 availability zones
func New(scope constructs.Construct, id string, props *Props) (*Network, error) {
	p, err := props.withDefaults()
	if err != nil {
		return nil, propserr.Prefix(scope, id, err)
	}
	n := &Network{}
	constructs.NewConstruct_Override(n, scope, jsii.String(id))

	vpc := awsec2.NewVpc(n, jsii.String("Vpc"), &awsec2.VpcProps{
		IpAddresses:       awsec2.IpAddresses_Cidr(jsii.String(p.Cidr)),
		AvailabilityZones: jsii.Strings(p.AvailabilityZones...),
		NatGateways:       jsii.Number(p.NatGateways),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String(PublicSubnets), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(publicCidrMask)},
			{Name: jsii.String(PrivateSubnets), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: jsii.Number(privateCidrMask)},
			{Name: jsii.String(IsolatedSubnets), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(isolatedCidrMask)},
		},
		// Traffic to S3 (media, static files, ECR image layers) stays off the
		// NAT gateways: cheaper and not limited by NAT bandwidth.
		GatewayEndpoints: &map[string]*awsec2.GatewayVpcEndpointOptions{
			"S3": {Service: awsec2.GatewayVpcEndpointAwsService_S3()},
		},
	})

	flowLogGroup := awslogs.NewLogGroup(n, jsii.String("FlowLogs"), &awslogs.LogGroupProps{
		Retention:     p.FlowLogRetention,
		RemovalPolicy: p.RemovalPolicy,
	})
	vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
		Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(flowLogGroup, nil),
		TrafficType: awsec2.FlowLogTrafficType_ALL,
	})

	n.vpc, n.flowLogGroup = vpc, flowLogGroup
	return n, nil
}

// Vpc returns the VPC.
func (n *Network) Vpc() awsec2.IVpc { return n.vpc }

// FlowLogGroup returns the log group that receives the VPC flow logs.
func (n *Network) FlowLogGroup() awslogs.ILogGroup { return n.flowLogGroup }

func (props *Props) withDefaults() (Props, error) {
	var p Props
	if props != nil {
		p = *props
	}
	if p.Cidr == "" {
		p.Cidr = "10.0.0.0/16"
	}
	if p.NatGateways == 0 {
		p.NatGateways = 1
	}
	if p.FlowLogRetention == "" {
		p.FlowLogRetention = awslogs.RetentionDays_ONE_MONTH
	}
	if p.RemovalPolicy == "" {
		p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	var errs []error
	zones := len(p.AvailabilityZones)
	if zones < MinZones || zones > MaxZones {
		errs = append(errs, fmt.Errorf("network.Props.AvailabilityZones: %q has %d zones; allowed are %d to %d", p.AvailabilityZones, zones, MinZones, MaxZones))
	}
	if err := CheckCidr(p.Cidr); err != nil {
		errs = append(errs, fmt.Errorf("network.Props.Cidr: %w", err))
	}
	// Above the zone count only when that count is valid: one problem, one error.
	if p.NatGateways < 1 || (zones >= MinZones && zones <= MaxZones && p.NatGateways > zones) {
		errs = append(errs, fmt.Errorf("network.Props.NatGateways: %d is not between 1 and the %d availability zones", p.NatGateways, zones))
	}
	if p.RemovalPolicy != awscdk.RemovalPolicy_RETAIN && p.RemovalPolicy != awscdk.RemovalPolicy_DESTROY {
		errs = append(errs, fmt.Errorf("network.Props.RemovalPolicy: %q is not RETAIN or DESTROY", p.RemovalPolicy))
	}
	return p, errors.Join(errs...)
}

// CheckCidr reports whether cidr is a private IPv4 range of /16 or /17,
// the sizes that hold all three subnet tiers.
func CheckCidr(cidr string) error {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil || !prefix.Addr().Is4() {
		return fmt.Errorf("%q is not an IPv4 CIDR block such as 10.0.0.0/16", cidr)
	}
	if prefix.Masked() != prefix {
		return fmt.Errorf("%q has host bits set; use %s", cidr, prefix.Masked())
	}
	if !prefix.Addr().IsPrivate() {
		return fmt.Errorf("%q is not a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)", cidr)
	}
	if prefix.Bits() < MinCidrPrefix || prefix.Bits() > MaxCidrPrefix {
		return fmt.Errorf("%q is a /%d; allowed sizes are /%d to /%d", cidr, prefix.Bits(), MinCidrPrefix, MaxCidrPrefix)
	}
	return nil
}
