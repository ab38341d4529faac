package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/stacks"
)

// TestNetwork checks the subnet tiers, NAT gateways, S3 endpoint and flow
// logs of each environment.
func TestNetwork(t *testing.T) {
	want := map[string]struct {
		cidr      string
		nat       int
		retention float64
		deletion  string
	}{
		"dev":        {"10.10.0.0/16", 1, 7, "Delete"},
		"staging":    {"10.20.0.0/16", 1, 30, "Retain"},
		"production": {"10.30.0.0/16", 3, 365, "Retain"},
	}
	for _, env := range environments {
		t.Run(env, func(t *testing.T) {
			w := want[env]
			tmpl := synth(t, env).template(t, stacks.NetworkLayer)

			vpcs := resources(tmpl, "AWS::EC2::VPC")
			if len(vpcs) != 1 {
				t.Fatalf("%d VPCs, want 1", len(vpcs))
			}
			for _, vpc := range vpcs {
				if got := props(vpc)["CidrBlock"]; got != w.cidr {
					t.Errorf("VPC CIDR %v, want %s", got, w.cidr)
				}
			}

			tiers := map[string][]string{} // subnet type tag -> zones
			for _, subnet := range resources(tmpl, "AWS::EC2::Subnet") {
				p := props(subnet)
				for _, tag := range p["Tags"].([]any) {
					tag := tag.(map[string]any)
					if tag["Key"] == "aws-cdk:subnet-type" {
						tiers[tag["Value"].(string)] = append(tiers[tag["Value"].(string)], p["AvailabilityZone"].(string))
					}
				}
			}
			for _, tier := range []string{"Public", "Private", "Isolated"} {
				zones := tiers[tier]
				sort.Strings(zones)
				if want := []string{"us-east-1a", "us-east-1b", "us-east-1c"}; fmt.Sprint(zones) != fmt.Sprint(want) {
					t.Errorf("%s subnets in zones %v, want one in each of %v", tier, zones, want)
				}
			}
			if len(tiers) != 3 {
				t.Errorf("subnet tiers %v, want Public, Private and Isolated", tiers)
			}

			if got := len(resources(tmpl, "AWS::EC2::NatGateway")); got != w.nat {
				t.Errorf("%d NAT gateways, want %d", got, w.nat)
			}
			// Isolated subnets have no default route: nothing in them reaches the internet.
			routes := resources(tmpl, "AWS::EC2::Route")
			for id := range routes {
				if strings.Contains(id, "Isolated") {
					t.Errorf("isolated subnets have a route %s", id)
				}
			}

			assert(t, tmpl, func(tpl assertions.Template) {
				tpl.HasResourceProperties(jsii.String("AWS::EC2::VPCEndpoint"), map[string]any{
					"VpcEndpointType": "Gateway",
					"ServiceName":     assertions.Match_ObjectLike(&map[string]any{}),
				})
				tpl.HasResourceProperties(jsii.String("AWS::EC2::FlowLog"), map[string]any{
					"ResourceType":       "VPC",
					"TrafficType":        "ALL",
					"LogDestinationType": "cloud-watch-logs",
				})
				tpl.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{
					"Properties":     map[string]any{"RetentionInDays": w.retention},
					"DeletionPolicy": w.deletion,
				})
			})
			endpoint, _ := json.Marshal(resources(tmpl, "AWS::EC2::VPCEndpoint"))
			if !strings.Contains(string(endpoint), ".s3") {
				t.Errorf("the gateway endpoint is not for S3: %s", endpoint)
			}
		})
	}
}
