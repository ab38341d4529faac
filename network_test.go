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

// TestNetwork checks the subnet tiers, NAT gateways or instances, S3
// endpoint and flow logs of each environment.
func TestNetwork(t *testing.T) {
	want := map[string]struct {
		cidr                   string
		zones                  []string
		natGateways, instances int
		retention              float64
		deletion               string
	}{
		"dev":        {"10.10.0.0/16", []string{"us-east-1a", "us-east-1b"}, 0, 1, 7, "Delete"},
		"staging":    {"10.20.0.0/16", []string{"us-east-1a", "us-east-1b", "us-east-1c"}, 0, 1, 30, "Retain"},
		"production": {"10.30.0.0/16", []string{"us-east-1a", "us-east-1b", "us-east-1c"}, 3, 0, 365, "Retain"},
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
				if want := w.zones; fmt.Sprint(zones) != fmt.Sprint(want) {
					t.Errorf("%s subnets in zones %v, want one in each of %v", tier, zones, want)
				}
			}
			if len(tiers) != 3 {
				t.Errorf("subnet tiers %v, want Public, Private and Isolated", tiers)
			}

			if got := len(resources(tmpl, "AWS::EC2::NatGateway")); got != w.natGateways {
				t.Errorf("%d NAT gateways, want %d", got, w.natGateways)
			}
			if got := len(resources(tmpl, "AWS::EC2::Instance")); got != w.instances {
				t.Errorf("%d NAT instances, want %d", got, w.instances)
			}
			// Every private subnet has a default route through NAT.
			nat := 0
			for _, r := range resources(tmpl, "AWS::EC2::Route") {
				p := props(r)
				if p["DestinationCidrBlock"] == "0.0.0.0/0" && (p["NatGatewayId"] != nil || p["InstanceId"] != nil) {
					nat++
				}
			}
			if nat != len(w.zones) {
				t.Errorf("%d default routes through NAT, want %d (one per private subnet)", nat, len(w.zones))
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

// noNat is staging without NAT (network.nat "none").
func noNat(t *testing.T) *synthesized {
	return synthVariant(t, "staging-no-nat", "staging", set("environments.staging.network.nat", "none", "environments.staging.network.natGateways", 0.0))
}

// Without NAT every path that runs a task works: the private subnets keep
// their CIDRs without a default route; the services run in the public
// subnets with public IPs; the release project passes the public subnets
// and ASSIGN_PUBLIC_IP (which run-task.sh and "djangocdk run" use); the
// queue metrics function stays in the private subnets and reaches Secrets
// Manager, CloudWatch and ECS through interface endpoints.
func TestNoNat(t *testing.T) {
	s := noNat(t)
	net := s.template(t, stacks.NetworkLayer)
	if n := len(resources(net, "AWS::EC2::NatGateway")) + len(resources(net, "AWS::EC2::Instance")); n != 0 {
		t.Errorf("%d NAT gateways or instances, want none", n)
	}
	for id, r := range resources(net, "AWS::EC2::Route") {
		if !strings.Contains(id, "Public") {
			t.Errorf("route %s %v outside the public subnets", id, props(r))
		}
	}
	endpoints := map[string]bool{}
	for _, e := range resources(net, "AWS::EC2::VPCEndpoint") {
		if props(e)["VpcEndpointType"] == "Interface" {
			endpoints[fmt.Sprint(props(e)["ServiceName"])] = true
		}
	}
	for _, service := range []string{"secretsmanager", "monitoring", "ecs"} {
		if !endpoints["com.amazonaws.us-east-1."+service] {
			t.Errorf("no interface endpoint for %s: %v", service, endpoints)
		}
	}
	private := map[string]bool{}
	for _, subnet := range resources(net, "AWS::EC2::Subnet") {
		if strings.Contains(fmt.Sprint(props(subnet)["Tags"]), "map[Key:aws-cdk:subnet-name Value:Private]") {
			private[fmt.Sprint(props(subnet)["CidrBlock"])] = true
		}
	}
	if fmt.Sprint(private) != "map[10.20.16.0/20:true 10.20.32.0/20:true 10.20.48.0/20:true]" {
		t.Errorf("private subnets %v, want the CIDRs they have with NAT", private)
	}

	compute := s.template(t, stacks.ComputeLayer)
	services := resources(compute, "AWS::ECS::Service")
	if len(services) != 3 {
		t.Errorf("%d services, want web, beat and one worker", len(services))
	}
	for id, svc := range services {
		vpc := props(svc)["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)
		if vpc["AssignPublicIp"] != "ENABLED" || strings.Count(fmt.Sprint(vpc["Subnets"]), "VpcPublicSubnet") != 3 {
			t.Errorf("service %s: %v, want public IPs in the public subnets", id, vpc)
		}
	}
	for id, fn := range resources(compute, "AWS::Lambda::Function") {
		if cfg, ok := props(fn)["VpcConfig"].(map[string]any); ok && !strings.Contains(fmt.Sprint(cfg["SubnetIds"]), "PrivateSubnet") {
			t.Errorf("function %s in %v, want the private subnets (with the endpoints)", id, cfg["SubnetIds"])
		}
	}

	release, _ := json.Marshal(resources(s.template(t, stacks.PipelineLayer), "AWS::CodeBuild::Project"))
	for _, want := range []string{`{"Name":"ASSIGN_PUBLIC_IP","Type":"PLAINTEXT","Value":"ENABLED"}`, "sharednetworkPublicSubnetIds"} {
		if !strings.Contains(string(release), want) {
			t.Errorf("the release project lacks %s", want)
		}
	}
	for _, env := range environments {
		if strings.Contains(fmt.Sprint(resources(synth(t, env).template(t, stacks.PipelineLayer), "AWS::CodeBuild::Project")), "ASSIGN_PUBLIC_IP") {
			t.Errorf("%s: the release project sets ASSIGN_PUBLIC_IP with NAT", env)
		}
	}
}
