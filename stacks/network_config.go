package stacks

import "github.com/djangocdk/djangocdk/constructs/network"

// NetworkConfig configures the VPC.
type NetworkConfig struct {
	// Cidr is the VPC's IPv4 range.
	Cidr string `json:"cidr"`
	// NatGateways is the number of NAT gateways: 1, or one per zone.
	NatGateways int `json:"natGateways"`
	// FlowLogRetentionDays is how long VPC flow logs are kept.
	FlowLogRetentionDays int `json:"flowLogRetentionDays"`
}

func (n *NetworkConfig) validate(v *validator, zones int) {
	v.check("network.cidr", network.CheckCidr(n.Cidr))
	switch {
	case n.NatGateways < 1:
		v.fail("network.natGateways", "%d is less than 1; the private subnets reach the internet through NAT", n.NatGateways)
	case n.NatGateways > zones:
		v.fail("network.natGateways", "%d is more than the %d availability zones", n.NatGateways, zones)
	}
	v.retention("network.flowLogRetentionDays", n.FlowLogRetentionDays)
}
