package network

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
)

// Invalid props are rejected before any resource (or jsii call) is made.
func TestNewRejectsInvalidProps(t *testing.T) {
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	cases := []struct {
		name  string
		props Props
		want  string
	}{
		{"no zones", Props{}, `network.Props.AvailabilityZones: [] has 0 zones; allowed are 2 to 3`},
		{"four zones", Props{AvailabilityZones: append(zones, "us-east-1d")},
			`network.Props.AvailabilityZones: ["us-east-1a" "us-east-1b" "us-east-1c" "us-east-1d"] has 4 zones; allowed are 2 to 3`},
		{"public CIDR", Props{AvailabilityZones: zones, Cidr: "52.0.0.0/16"},
			`network.Props.Cidr: "52.0.0.0/16" is not a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)`},
		{"CIDR too small", Props{AvailabilityZones: zones, Cidr: "10.0.0.0/18"},
			`network.Props.Cidr: "10.0.0.0/18" is a /18; allowed sizes are /16 to /17`},
		{"too many NAT gateways", Props{AvailabilityZones: zones, NatGateways: 4},
			`network.Props.NatGateways: 4 is not between 1 and the 3 availability zones`},
		{"negative NAT gateways", Props{AvailabilityZones: zones, NatGateways: -1},
			`network.Props.NatGateways: -1 is not between 1 and the 3 availability zones`},
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

func TestDefaults(t *testing.T) {
	p, err := (&Props{AvailabilityZones: []string{"us-east-1a", "us-east-1b"}}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if p.Cidr != "10.0.0.0/16" || p.NatGateways != 1 || p.FlowLogRetention != awslogs.RetentionDays_ONE_MONTH || p.RemovalPolicy != awscdk.RemovalPolicy_RETAIN {
		t.Errorf("defaults %+v", p)
	}
}
