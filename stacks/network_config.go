package stacks

import (
	"slices"

	"github.com/djangocdk/djangocdk/constructs/network"
)

// NetworkConfig configures the VPC.
type NetworkConfig struct {
	// Cidr is the VPC's IPv4 range.
	Cidr string `json:"cidr"`
	// Nat is how the private subnets reach the internet: "gateway" (NAT
	// gateways), "instance" (NAT instances) or "none" (tasks in the public
	// subnets with public IPs; see network.NatNone).
	Nat string `json:"nat"`
	// NatGateways is the number of NAT gateways or instances: 1, or one per
	// zone; 0 with nat "none".
	NatGateways int `json:"natGateways"`
	// NatInstanceType is the EC2 instance type of NAT instances.
	NatInstanceType string `json:"natInstanceType"`
	// FlowLogRetentionDays is how long VPC flow logs are kept.
	FlowLogRetentionDays int `json:"flowLogRetentionDays"`
}

func (n *NetworkConfig) validate(v *validator, zones int) {
	v.check("network.cidr", network.CheckCidr(n.Cidr))
	switch {
	case !slices.Contains(network.NatModes, n.Nat):
		v.fail("network.nat", "%q is not one of %q: \"gateway\" (managed NAT gateways, about $33 a month each plus an address), "+
			"\"instance\" (NAT instances of natInstanceType, a few dollars a month, one instance is a single point of failure) or "+
			"\"none\" (no NAT: tasks run in the public subnets with public IPs)", n.Nat, network.NatModes)
	case n.Nat == network.NatNone && n.NatGateways != 0:
		v.fail("network.natGateways", "%d with network.nat \"none\": a network without NAT has no gateways; set it to 0, or choose network.nat \"instance\" for cheap NAT", n.NatGateways)
	case n.Nat != network.NatNone && n.NatGateways < 1:
		v.fail("network.natGateways", "%d is less than 1; the private subnets reach the internet through NAT (set network.nat to \"none\" to run without)", n.NatGateways)
	case n.NatGateways > zones:
		v.fail("network.natGateways", "%d is more than the %d availability zones", n.NatGateways, zones)
	}
	if n.Nat == network.NatInstance {
		v.check("network.natInstanceType", network.CheckInstanceType(n.NatInstanceType))
	}
	v.retention("network.flowLogRetentionDays", n.FlowLogRetentionDays)
}
