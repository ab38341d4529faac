package network

import (
	"fmt"
	"github.com/djangocdk/djangocdk/constructs/internal/templatetest"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// stacks hands out this test binary's stacks: one App, each test's stack
// in a stage of its own.
var stacks = templatetest.NewStaged()

var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// Invalid props are rejected before any resource (or jsii call) is made;
// with a nil scope the errors start with the id alone.
func TestNewRejectsInvalidProps(t *testing.T) {
	cases := []struct {
		name  string
		props Props
		want  string
	}{
		{"no zones", Props{}, `Network: network.Props.AvailabilityZones: [] has 0 zones; allowed are 2 to 3`},
		{"four zones", Props{AvailabilityZones: append(zones[:3:3], "us-east-1d")},
			`Network: network.Props.AvailabilityZones: ["us-east-1a" "us-east-1b" "us-east-1c" "us-east-1d"] has 4 zones; allowed are 2 to 3`},
		{"public CIDR", Props{AvailabilityZones: zones, Cidr: "52.0.0.0/16"},
			`Network: network.Props.Cidr: "52.0.0.0/16" is not a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)`},
		{"CIDR too small", Props{AvailabilityZones: zones, Cidr: "10.0.0.0/18"},
			`Network: network.Props.Cidr: "10.0.0.0/18" is a /18; allowed sizes are /16 to /17`},
		{"too many NAT gateways", Props{AvailabilityZones: zones, NatGateways: 4},
			`Network: network.Props.NatGateways: 4 is not between 1 and the 3 availability zones`},
		{"negative NAT gateways", Props{AvailabilityZones: zones, NatGateways: -1},
			`Network: network.Props.NatGateways: -1 is not between 1 and the 3 availability zones`},
		{"removal policy", Props{AvailabilityZones: zones, RemovalPolicy: awscdk.RemovalPolicy_SNAPSHOT},
			`Network: network.Props.RemovalPolicy: "SNAPSHOT" is not RETAIN or DESTROY`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(nil, "Network", &c.props)
			if err == nil || err.Error() != c.want {
				t.Errorf("error %v, want %s", err, c.want)
			}
		})
	}
}

// Every problem is reported at once, one line each, under the path the
// construct would have had; nothing is created.
func TestNewReportsEveryProblem(t *testing.T) {
	stack := stacks.Stack(t)
	_, err := New(stack, "Network", &Props{AvailabilityZones: zones[:1], Cidr: "10.0.0.1/16", NatGateways: -2})
	want := strings.Join([]string{
		`TestNewReportsEveryProblem/Shop/Network: network.Props.AvailabilityZones: ["us-east-1a"] has 1 zones; allowed are 2 to 3`,
		`TestNewReportsEveryProblem/Shop/Network: network.Props.Cidr: "10.0.0.1/16" has host bits set; use 10.0.0.0/16`,
		`TestNewReportsEveryProblem/Shop/Network: network.Props.NatGateways: -2 is not between 1 and the 1 availability zones`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	if n := len(*stack.Node().Children()); n != 0 {
		t.Errorf("the stack has %d children after a failed New, want none", n)
	}
}

func TestDefaults(t *testing.T) {
	p, err := (&Props{AvailabilityZones: []string{"us-east-1a", "us-east-1b"}}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if p.Cidr != "10.0.0.0/16" || p.NatGateways != 1 || p.FlowLogRetention != awslogs.RetentionDays_ONE_MONTH || p.RemovalPolicy != awscdk.RemovalPolicy_RETAIN {
		t.Errorf("defaults %+v", p)
	}
}

// The defaults: a /16 with three tiers in each zone, one NAT gateway that
// every private subnet routes through, an S3 gateway endpoint, and flow logs
// of all traffic kept a month and retained with the stack.
func TestSynthDefaults(t *testing.T) {
	stack := stacks.Stack(t)
	net, err := New(stack, "Network", &Props{AvailabilityZones: zones})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.ResourceCountIs(jsii.String("AWS::EC2::VPC"), jsii.Number(1))
		tmpl.HasResourceProperties(jsii.String("AWS::EC2::VPC"), map[string]any{
			"CidrBlock": "10.0.0.0/16", "EnableDnsHostnames": true, "EnableDnsSupport": true,
		})
		tmpl.ResourceCountIs(jsii.String("AWS::EC2::Subnet"), jsii.Number(9))
		tmpl.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(1))
		tmpl.ResourceCountIs(jsii.String("AWS::EC2::InternetGateway"), jsii.Number(1))
		tmpl.HasResourceProperties(jsii.String("AWS::EC2::VPCEndpoint"), map[string]any{
			"VpcEndpointType": "Gateway",
			"ServiceName":     assertions.Match_ObjectLike(&map[string]any{"Fn::Join": assertions.Match_AnyValue()}),
		})
		tmpl.HasResourceProperties(jsii.String("AWS::EC2::FlowLog"), map[string]any{
			"ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs",
		})
		tmpl.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{
			"Properties":     map[string]any{"RetentionInDays": 30},
			"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
		})
	})
	// Subnet sizes: public and isolated /24, private /20.
	for cidr, count := range map[string]int{"10.0.0.0/24": 1, "10.0.16.0/20": 1, "10.0.66.0/24": 1} {
		found := tmpl.FindResources(jsii.String("AWS::EC2::Subnet"), map[string]any{"Properties": map[string]any{"CidrBlock": cidr}})
		if len(*found) != count {
			t.Errorf("%d subnets with %s, want %d", len(*found), cidr, count)
		}
	}
	// Every private subnet's default route goes through the one NAT gateway.
	routes := tmpl.FindResources(jsii.String("AWS::EC2::Route"), map[string]any{
		"Properties": map[string]any{"NatGatewayId": assertions.Match_AnyValue()},
	})
	if len(*routes) != 3 {
		t.Errorf("%d routes through NAT, want 3 (one per private subnet)", len(*routes))
	}
	if got := len(*net.Vpc().PrivateSubnets()); got != 3 {
		t.Errorf("Vpc().PrivateSubnets(): %d, want 3", got)
	}
	if got := len(*net.Vpc().IsolatedSubnets()); got != 3 {
		t.Errorf("Vpc().IsolatedSubnets(): %d, want 3", got)
	}
}

// One NAT gateway per zone: each private subnet routes through the gateway
// of its own zone, so a zone outage leaves the others their egress.
func TestSynthNatGatewayPerZone(t *testing.T) {
	stack := stacks.Stack(t)
	if _, err := New(stack, "Network", &Props{AvailabilityZones: zones, NatGateways: 3, Cidr: "172.16.0.0/17",
		FlowLogRetention: awslogs.RetentionDays_ONE_YEAR, RemovalPolicy: awscdk.RemovalPolicy_DESTROY}); err != nil {
		t.Fatal(err)
	}
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(3))
		tmpl.ResourceCountIs(jsii.String("AWS::EC2::EIP"), jsii.Number(3))
		tmpl.HasResourceProperties(jsii.String("AWS::EC2::VPC"), map[string]any{"CidrBlock": "172.16.0.0/17"})
		tmpl.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{
			"Properties":     map[string]any{"RetentionInDays": 365},
			"DeletionPolicy": "Delete",
		})
	})
	targets := map[string]bool{}
	for _, r := range *tmpl.FindResources(jsii.String("AWS::EC2::Route"), map[string]any{
		"Properties": map[string]any{"NatGatewayId": assertions.Match_AnyValue()},
	}) {
		targets[fmt.Sprint((*r)["Properties"].(map[string]any)["NatGatewayId"])] = true
	}
	if len(targets) != 3 {
		t.Errorf("private subnets route through %d NAT gateways, want 3: %v", len(targets), targets)
	}
}

// A Network is a construct: tags given to it reach its resources, and the
// logical IDs are those of the stacks' golden files (Network/Vpc and
// Network/FlowLogs under the stack).
func TestIsConstruct(t *testing.T) {
	stack := stacks.Stack(t)
	net, err := New(stack, "Network", &Props{AvailabilityZones: zones[:2]})
	if err != nil {
		t.Fatal(err)
	}
	if got := *net.Node().Path(); got != "TestIsConstruct/Shop/Network" {
		t.Errorf("path %s, want TestIsConstruct/Shop/Network", got)
	}
	awscdk.Tags_Of(net).Add(jsii.String("team"), jsii.String("platform"), nil)
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.HasResourceProperties(jsii.String("AWS::EC2::VPC"), map[string]any{
			"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "team", "Value": "platform"}}),
		})
		tmpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{
			"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "team", "Value": "platform"}}),
		})
	})
	for typ, id := range map[string]string{"AWS::EC2::VPC": "NetworkVpc7FB7348F", "AWS::Logs::LogGroup": "NetworkFlowLogs2BEC3212"} {
		if _, ok := (*tmpl.FindResources(jsii.String(typ), nil))[id]; !ok {
			t.Errorf("no %s with logical ID %s", typ, id)
		}
	}
}

// NAT instances: one t4g.nano per NatGateways in the public subnets, with
// source/destination checks off, IMDSv2 required, an encrypted root volume
// and an arm64 Amazon Linux 2023 image read from SSM at deploy time; their
// security group admits the VPC's CIDR only; each private subnet's default
// route goes to an instance, and there is no NAT gateway.
func TestSynthNatInstance(t *testing.T) {
	stack := stacks.Stack(t)
	net, err := New(stack, "Network", &Props{AvailabilityZones: zones, Nat: NatInstance, NatGateways: 1})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(0))
		tmpl.ResourceCountIs(jsii.String("AWS::EC2::Instance"), jsii.Number(1))
		tmpl.HasResourceProperties(jsii.String("AWS::EC2::Instance"), map[string]any{
			"InstanceType":    "t4g.nano",
			"SourceDestCheck": false,
			"ImageId":         map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("al2023amikernel.*arm64"))},
			"LaunchTemplate":  assertions.Match_ObjectLike(&map[string]any{"LaunchTemplateName": assertions.Match_AnyValue()}),
			"BlockDeviceMappings": []any{map[string]any{"DeviceName": "/dev/xvda",
				"Ebs": map[string]any{"Encrypted": true, "VolumeType": "gp3", "VolumeSize": 8, "DeleteOnTermination": true}}},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::EC2::LaunchTemplate"), map[string]any{
			"LaunchTemplateData": map[string]any{"MetadataOptions": map[string]any{"HttpTokens": "required"}},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroup"), map[string]any{
			"GroupDescription": "Security Group for NAT instances",
			"SecurityGroupIngress": []any{map[string]any{"CidrIp": "10.0.0.0/16",
				"IpProtocol": "-1", "Description": "Traffic to NAT from the VPC"}},
			"SecurityGroupEgress": []any{map[string]any{"CidrIp": "0.0.0.0/0", "IpProtocol": "-1", "Description": "Allow all outbound traffic by default"}},
		})
	})
	params := *tmpl.ToJSON()
	ssm, _ := params["Parameters"].(map[string]any)
	found := false
	for _, p := range ssm {
		if typ, _ := p.(map[string]any)["Type"].(string); typ == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>" {
			found = strings.Contains(fmt.Sprint(p.(map[string]any)["Default"]), "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64")
		}
	}
	if !found {
		t.Errorf("no SSM image parameter for arm64 Amazon Linux 2023 in %v", ssm)
	}
	routes := tmpl.FindResources(jsii.String("AWS::EC2::Route"), map[string]any{
		"Properties": map[string]any{"DestinationCidrBlock": "0.0.0.0/0", "InstanceId": assertions.Match_AnyValue()},
	})
	if len(*routes) != 3 {
		t.Errorf("%d default routes to a NAT instance, want 3 (one per private subnet)", len(*routes))
	}
	if got := len(net.NatInstances()); got != 1 {
		t.Errorf("NatInstances(): %d, want 1", got)
	}
	if s, public := net.TaskSubnets(); public || *s.SubnetGroupName != PrivateSubnets {
		t.Errorf("TaskSubnets() %v %v, want the private subnets without public IPs", *s.SubnetGroupName, public)
	}
}

// Without NAT the private subnets keep their CIDRs but have no default
// route; the functions' interface endpoints sit in the first zone; tasks
// belong in the public subnets with public IPs.
func TestSynthNoNat(t *testing.T) {
	stack := stacks.Stack(t)
	net, err := New(stack, "Network", &Props{AvailabilityZones: zones, Nat: NatNone})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(0))
		tmpl.ResourceCountIs(jsii.String("AWS::EC2::Instance"), jsii.Number(0))
		tmpl.ResourceCountIs(jsii.String("AWS::EC2::EIP"), jsii.Number(0))
		tmpl.ResourceCountIs(jsii.String("AWS::EC2::Subnet"), jsii.Number(9))
		for _, service := range EndpointServices {
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::VPCEndpoint"), map[string]any{
				"VpcEndpointType":   "Interface",
				"ServiceName":       "com.amazonaws.us-east-1." + service,
				"PrivateDnsEnabled": true,
				"SubnetIds":         []any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^NetworkVpcPrivateSubnet1Subnet"))}},
			})
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroup"), map[string]any{
				"GroupDescription": assertions.Match_StringLikeRegexp(jsii.String(strings.ToUpper(service[:1]) + service[1:] + "Endpoint")),
				"SecurityGroupIngress": []any{map[string]any{"CidrIp": "10.0.0.0/16", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
					"Description": "HTTPS from the VPC"}},
			})
		}
	})
	// The private /20s are where they were with NAT.
	for _, cidr := range []string{"10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20"} {
		found := tmpl.FindResources(jsii.String("AWS::EC2::Subnet"), map[string]any{"Properties": map[string]any{"CidrBlock": cidr,
			"MapPublicIpOnLaunch": false, "Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "aws-cdk:subnet-name", "Value": "Private"}})}})
		if len(*found) != 1 {
			t.Errorf("%d private subnets with %s, want 1", len(*found), cidr)
		}
	}
	// The only default route is the public subnets' to the internet gateway.
	for id, r := range *tmpl.FindResources(jsii.String("AWS::EC2::Route"), nil) {
		props := (*r)["Properties"].(map[string]any)
		if _, igw := props["GatewayId"]; !igw || !strings.Contains(id, "Public") {
			t.Errorf("route %s %v: want only the public subnets' routes to the internet gateway", id, props)
		}
	}
	if got := len(net.InterfaceEndpoints()); got != len(EndpointServices) {
		t.Errorf("InterfaceEndpoints(): %d, want %d", got, len(EndpointServices))
	}
	if s, public := net.TaskSubnets(); !public || *s.SubnetGroupName != PublicSubnets {
		t.Errorf("TaskSubnets() %v %v, want the public subnets with public IPs", *s.SubnetGroupName, public)
	}
}

func TestNatValidation(t *testing.T) {
	for _, c := range []struct {
		props Props
		want  string
	}{
		{Props{AvailabilityZones: zones, Nat: "nat"}, `Network: network.Props.Nat: "nat" is not one of ["gateway" "instance" "none"]`},
		{Props{AvailabilityZones: zones, Nat: NatNone, NatGateways: 1}, `Network: network.Props.NatGateways: 1 with Nat "none"; a network without NAT has none (0)`},
		{Props{AvailabilityZones: zones, Nat: NatInstance, NatGateways: 4}, `Network: network.Props.NatGateways: 4 is not between 1 and the 3 availability zones`},
		{Props{AvailabilityZones: zones, Nat: NatInstance, NatInstanceType: "nano"}, `Network: network.Props.NatInstanceType: "nano" is not an EC2 instance type such as t4g.nano`},
	} {
		if _, err := New(nil, "Network", &c.props); err == nil || err.Error() != c.want {
			t.Errorf("%+v: error %v, want %s", c.props, err, c.want)
		}
	}
}
