// Package network provides a VPC laid out for a Django + Celery deployment:
// public subnets for the load balancer and NAT, private subnets for ECS
// tasks, isolated subnets for the database and the cache, an S3 gateway
// endpoint and VPC flow logs. The private subnets reach the internet through
// NAT gateways, NAT instances, or not at all (NatNone: tasks then run in the
// public subnets and functions use interface endpoints).
package network

import (
	"errors"
	"fmt"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
	"net/netip"
	"regexp"
	"slices"

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
	// PrivateSubnets hold ECS tasks and functions; they reach the internet
	// through NAT, or, with NatNone, only the endpoints of EndpointServices.
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
	// Nat is how the private subnets reach the internet: NatGateway,
	// NatInstance or NatNone. Default: NatGateway.
	Nat string
	// NatGateways is how many NAT gateways (or NAT instances) to run, from 1
	// to one per availability zone. One is cheap; one per zone survives a
	// zone outage. It must be 0 (the default then) with NatNone.
	// Default: 1.
	NatGateways int
	// NatInstanceType is the EC2 instance type of NAT instances. Default:
	// "t4g.nano" (Graviton; about $3 a month plus its volume and address).
	NatInstanceType string
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
	nat          string
	natInstances []awsec2.Instance
	endpoints    []awsec2.InterfaceVpcEndpoint
}

// How the private subnets reach the internet (Props.Nat).
const (
	// NatGateway is AWS's managed NAT gateway: about $33 a month each plus
	// its address, highly available within its zone.
	NatGateway = "gateway"
	// NatInstance is an EC2 instance that does NAT (aws-cdk-lib's
	// NatProvider.instanceV2, Amazon Linux 2023): a few dollars a month, but
	// one instance is a single point of failure and its bandwidth is the
	// instance type's.
	NatInstance = "instance"
	// NatNone runs no NAT: the private subnets become isolated (same CIDRs),
	// the tasks belong in the public subnets with public IPs, and what stays
	// in the private subnets (functions) reaches AWS through the interface
	// endpoints of EndpointServices.
	NatNone = "none"
)

// NatModes lists the values of Props.Nat.
var NatModes = []string{NatGateway, NatInstance, NatNone}

// EndpointServices are the interface endpoints a Network without NAT
// creates, in one zone, for the functions in its private subnets: the queue
// metrics function reads the broker's secret (and the database rotation
// function its secret), publishes metrics and describes ECS services.
var EndpointServices = []string{"secretsmanager", "monitoring", "ecs"}

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
	n := &Network{nat: p.Nat}
	constructs.NewConstruct_Override(n, scope, jsii.String(id))

	// Without NAT the private tier keeps its name, place and CIDRs (a
	// changed CIDR would replace the subnets and what is placed in them)
	// and loses its default route.
	privateType := awsec2.SubnetType_PRIVATE_WITH_EGRESS
	if p.Nat == NatNone {
		privateType = awsec2.SubnetType_PRIVATE_ISOLATED
	}
	var natInstances awsec2.NatInstanceProviderV2
	vpcProps := &awsec2.VpcProps{
		IpAddresses:       awsec2.IpAddresses_Cidr(jsii.String(p.Cidr)),
		AvailabilityZones: jsii.Strings(p.AvailabilityZones...),
		NatGateways:       jsii.Number(p.NatGateways),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String(PublicSubnets), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(publicCidrMask)},
			{Name: jsii.String(PrivateSubnets), SubnetType: privateType, CidrMask: jsii.Number(privateCidrMask)},
			{Name: jsii.String(IsolatedSubnets), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(isolatedCidrMask)},
		},
		// Traffic to S3 (media, static files, ECR image layers) stays off the
		// NAT gateways: cheaper and not limited by NAT bandwidth.
		GatewayEndpoints: &map[string]*awsec2.GatewayVpcEndpointOptions{
			"S3": {Service: awsec2.GatewayVpcEndpointAwsService_S3()},
		},
	}
	if p.Nat == NatInstance {
		// The default image is the latest Amazon Linux 2023 for the
		// instance type's CPU, read from its public SSM parameter at deploy
		// time (a template parameter, not a context lookup). OUTBOUND_ONLY:
		// the security group allows all outbound traffic and no inbound;
		// the one inbound rule, from the VPC only, is added below (the
		// provider's INBOUND_AND_OUTBOUND would admit the internet, and
		// NONE leaves no way to allow all outbound traffic).
		natInstances = awsec2.NatProvider_InstanceV2(&awsec2.NatInstanceProps{
			InstanceType:          awsec2.NewInstanceType(jsii.String(p.NatInstanceType)),
			DefaultAllowedTraffic: awsec2.NatTrafficDirection_OUTBOUND_ONLY,
		})
		vpcProps.NatGatewayProvider = natInstances
	}
	vpc := awsec2.NewVpc(n, jsii.String("Vpc"), vpcProps)
	if natInstances != nil {
		n.natInstances = configureNatInstances(n, p.Cidr, natInstances)
	}
	if p.Nat == NatNone {
		n.endpoints = addInterfaceEndpoints(vpc, p.Cidr, p.AvailabilityZones[0])
	}

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

// configureNatInstances lets the NAT instances forward the VPC's traffic
// and nothing else, requires IMDSv2 and encrypts their root volumes.
func configureNatInstances(n *Network, cidr string, provider awsec2.NatInstanceProviderV2) []awsec2.Instance {
	group := provider.SecurityGroup()
	group.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(cidr)), awsec2.Port_AllTraffic(),
		jsii.String("Traffic to NAT from the VPC"), nil)
	// The aspect gives each instance a launch template with HttpTokens
	// required; only the NAT instances are EC2 instances in the VPC.
	awscdk.Aspects_Of(n).Add(awsec2.NewInstanceRequireImdsv2Aspect(nil), nil)
	instances := *provider.GatewayInstances()
	for _, instance := range instances {
		// The provider has no volume settings: set the L1 property.
		instance.Node().DefaultChild().(awsec2.CfnInstance).SetBlockDeviceMappings(&[]any{&awsec2.CfnInstance_BlockDeviceMappingProperty{
			DeviceName: jsii.String("/dev/xvda"),
			Ebs: &awsec2.CfnInstance_EbsProperty{Encrypted: jsii.Bool(true), VolumeType: jsii.String("gp3"),
				VolumeSize: jsii.Number(natRootVolumeGiB), DeleteOnTermination: jsii.Bool(true)},
		}})
	}
	return instances
}

// natRootVolumeGiB is the NAT instances' root volume: the size of the
// Amazon Linux 2023 image's snapshot.
const natRootVolumeGiB = 8

// addInterfaceEndpoints creates EndpointServices' endpoints in zone's
// private subnet: one zone is enough for a few calls a minute and costs a
// third of three (other zones reach it across the VPC).
func addInterfaceEndpoints(vpc awsec2.Vpc, cidr, zone string) []awsec2.InterfaceVpcEndpoint {
	endpoints := make([]awsec2.InterfaceVpcEndpoint, len(EndpointServices))
	for i, service := range EndpointServices {
		endpoints[i] = vpc.AddInterfaceEndpoint(jsii.String(endpointID(service)), &awsec2.InterfaceVpcEndpointOptions{
			Service:           awsec2.NewInterfaceVpcEndpointAwsService(jsii.String(service), nil, nil, nil),
			Subnets:           &awsec2.SubnetSelection{SubnetGroupName: jsii.String(PrivateSubnets), AvailabilityZones: jsii.Strings(zone)},
			PrivateDnsEnabled: jsii.Bool(true),
			// HTTPS from the VPC's range, written out (not the VPC's
			// attribute) so that cdk-nag can check the rule.
			Open: jsii.Bool(false),
		})
		endpoints[i].Connections().AllowFrom(awsec2.Peer_Ipv4(jsii.String(cidr)), awsec2.Port_Tcp(jsii.Number(443)),
			jsii.String("HTTPS from the VPC"))
	}
	return endpoints
}

// endpointID is the construct id of service's interface endpoint.
func endpointID(service string) string {
	id := []byte(service)
	id[0] -= 'a' - 'A'
	return string(id) + "Endpoint"
}

// Nat returns how the private subnets reach the internet (Props.Nat).
func (n *Network) Nat() string { return n.nat }

// NatInstances returns the NAT instances (none unless Nat is NatInstance).
func (n *Network) NatInstances() []awsec2.Instance { return n.natInstances }

// InterfaceEndpoints returns the interface endpoints (none unless Nat is
// NatNone), in the order of EndpointServices.
func (n *Network) InterfaceEndpoints() []awsec2.InterfaceVpcEndpoint { return n.endpoints }

// TaskSubnets selects the subnets ECS tasks run in, and whether they need a
// public IP to reach the internet (ECR, Secrets Manager, CloudWatch Logs,
// the app's own calls): the private subnets behind NAT, or the public ones
// without NAT. The tasks' security groups admit no inbound traffic from
// the internet either way.
func (n *Network) TaskSubnets() (subnets *awsec2.SubnetSelection, publicIP bool) {
	return TaskSubnets(n.nat)
}

// TaskSubnets is Network.TaskSubnets for a Network whose Props.Nat is nat.
func TaskSubnets(nat string) (subnets *awsec2.SubnetSelection, publicIP bool) {
	if nat == NatNone {
		return &awsec2.SubnetSelection{SubnetGroupName: jsii.String(PublicSubnets)}, true
	}
	return &awsec2.SubnetSelection{SubnetGroupName: jsii.String(PrivateSubnets)}, false
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
	if p.Nat == "" {
		p.Nat = NatGateway
	}
	if p.NatGateways == 0 && p.Nat != NatNone {
		p.NatGateways = 1
	}
	if p.NatInstanceType == "" {
		p.NatInstanceType = "t4g.nano"
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
	switch {
	case !slices.Contains(NatModes, p.Nat):
		errs = append(errs, fmt.Errorf("network.Props.Nat: %q is not one of %q", p.Nat, NatModes))
	case p.Nat == NatNone && p.NatGateways != 0:
		errs = append(errs, fmt.Errorf("network.Props.NatGateways: %d with Nat %q; a network without NAT has none (0)", p.NatGateways, NatNone))
	case p.Nat != NatNone && (p.NatGateways < 1 || (zones >= MinZones && zones <= MaxZones && p.NatGateways > zones)):
		errs = append(errs, fmt.Errorf("network.Props.NatGateways: %d is not between 1 and the %d availability zones", p.NatGateways, zones))
	}
	if err := CheckInstanceType(p.NatInstanceType); err != nil {
		errs = append(errs, fmt.Errorf("network.Props.NatInstanceType: %w", err))
	}
	if p.RemovalPolicy != awscdk.RemovalPolicy_RETAIN && p.RemovalPolicy != awscdk.RemovalPolicy_DESTROY {
		errs = append(errs, fmt.Errorf("network.Props.RemovalPolicy: %q is not RETAIN or DESTROY", p.RemovalPolicy))
	}
	return p, errors.Join(errs...)
}

// natInstanceTypePattern matches EC2 instance type names (family.size).
var natInstanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)

// CheckInstanceType reports whether typ names an EC2 instance type.
func CheckInstanceType(typ string) error {
	if !natInstanceTypePattern.MatchString(typ) {
		return fmt.Errorf("%q is not an EC2 instance type such as t4g.nano", typ)
	}
	return nil
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
