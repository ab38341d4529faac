package cost

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// res is a template resource written by hand.
type res map[string]any

func r(typ string, props map[string]any) res { return res{"Type": typ, "Properties": props} }

// estimate writes a cloud assembly holding one stack per template (named
// s0, s1, ... in us-east-1) and estimates it.
func estimate(t *testing.T, templates ...map[string]res) *Report {
	t.Helper()
	dir := t.TempDir()
	artifacts := map[string]any{"Tree": map[string]any{"type": "cdk:tree"}}
	for i, resources := range templates {
		name := "s" + string(rune('0'+i))
		writeJSON(t, filepath.Join(dir, name+".template.json"), map[string]any{"Resources": resources})
		artifacts[name] = map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://111111111111/us-east-1",
			"properties": map[string]any{"templateFile": name + ".template.json", "stackName": name}}
	}
	writeJSON(t, filepath.Join(dir, "manifest.json"), map[string]any{"version": "54.0.0", "artifacts": artifacts})
	rep, err := Estimate(dir)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// want is an item the report must hold: its kind, resource, quantity and
// monthly cost.
type want struct {
	kind, resource    string
	quantity, monthly float64
}

// expect checks that the report holds exactly the wanted items of the
// kinds it names, with their quantities and monthly costs.
func expect(t *testing.T, rep *Report, wants ...want) {
	t.Helper()
	kinds := map[string]bool{}
	for _, w := range wants {
		kinds[w.kind] = true
	}
	var got []Item
	for _, it := range rep.Items {
		if kinds[it.Kind] {
			got = append(got, it)
		}
	}
	for _, w := range wants {
		found := -1
		for i, it := range got {
			if it.Kind == w.kind && it.Resource == w.resource && near(it.Quantity, w.quantity) && near(it.Monthly, w.monthly) {
				found = i
				break
			}
		}
		if found < 0 {
			t.Errorf("no item %s of %s, quantity %v, $%.4f a month; items of these kinds: %+v", w.kind, w.resource, w.quantity, w.monthly, got)
			continue
		}
		got = append(got[:found], got[found+1:]...)
	}
	for _, it := range got {
		t.Errorf("unexpected item %+v", it)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.0005 }

func ifPushed(then, otherwise any) map[string]any {
	return map[string]any{"Fn::If": []any{"ImagePushed", then, otherwise}}
}

var noValue = map[string]any{"Ref": "AWS::NoValue"}

func TestNetwork(t *testing.T) {
	rep := estimate(t, map[string]res{
		"Nat1234ABCD": r("AWS::EC2::NatGateway", map[string]any{"AllocationId": map[string]any{"Fn::GetAtt": []any{"Eip", "AllocationId"}}}),
		"Eip":         r("AWS::EC2::EIP", map[string]any{"Domain": "vpc"}),
		"Ecr":         r("AWS::EC2::VPCEndpoint", map[string]any{"VpcEndpointType": "Interface", "SubnetIds": []any{"a", "b", "c"}}),
		"S3":          r("AWS::EC2::VPCEndpoint", map[string]any{"VpcEndpointType": "Gateway"}),
	})
	expect(t, rep,
		want{kindNAT, "Nat1234ABCD", 1, 0.045 * 730},
		want{kindIPv4, "Eip", 1, 0.005 * 730},
		want{kindEndpoint, "Ecr", 3, 3 * 0.01 * 730},
	)
	if rep.Items[0].Detail != "Nat" {
		t.Errorf("detail %q, want the logical ID without its hash, Nat", rep.Items[0].Detail)
	}
}

func TestNATInstances(t *testing.T) {
	rep := estimate(t, map[string]res{
		"PublicSubnet": r("AWS::EC2::Subnet", map[string]any{"MapPublicIpOnLaunch": true}),
		"NatInstance":  r("AWS::EC2::Instance", map[string]any{"InstanceType": "t4g.nano", "SubnetId": map[string]any{"Ref": "PublicSubnet"}}),
		"WithEip": r("AWS::EC2::Instance", map[string]any{"InstanceType": "t4g.micro", "SubnetId": map[string]any{"Ref": "PublicSubnet"},
			"BlockDeviceMappings": []any{map[string]any{"DeviceName": "/dev/xvda", "Ebs": map[string]any{"VolumeSize": 10, "VolumeType": "gp3"}}}}),
		"Eip":     r("AWS::EC2::EIP", map[string]any{"InstanceId": map[string]any{"Ref": "WithEip"}}),
		"Unknown": r("AWS::EC2::Instance", map[string]any{"InstanceType": "x9.huge"}),
	})
	expect(t, rep,
		want{kindInstance, "NatInstance", 1, 0.0042 * 730},
		want{kindInstance, "WithEip", 1, 0.0084 * 730},
		want{kindInstance, "Unknown", 1, 0},
		want{kindVolume, "NatInstance", 8, 8 * 0.08},
		want{kindVolume, "WithEip", 10, 10 * 0.08},
		want{kindVolume, "Unknown", 8, 8 * 0.08},
		want{kindIPv4, "NatInstance", 1, 0.005 * 730}, // auto-assigned in a public subnet
		want{kindIPv4, "Eip", 1, 0.005 * 730},         // WithEip has its EIP, not a second address
	)
	if rep.Complete {
		t.Error("Complete is true with an unpriced instance type")
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"lower bound", `Unpriced: EC2 instance (Unknown, x9.huge) in s0/Unknown: instance type "x9.huge" is not in the price table`} {
		if !strings.Contains(table.String(), s) {
			t.Errorf("the table lacks %q:\n%s", s, table.String())
		}
	}
}

func TestLoadBalancers(t *testing.T) {
	rep := estimate(t, map[string]res{
		"Public":   r("AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{"Type": "application", "Scheme": "internet-facing", "Subnets": []any{"a", "b", "c"}}),
		"Internal": r("AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{"Scheme": "internal", "Subnets": []any{"a", "b"}}),
		"Nlb":      r("AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{"Type": "network", "SubnetMappings": []any{map[string]any{}, map[string]any{}}}),
	})
	alb := 0.0225 * 730
	lcu := 1 * 0.008 * 730
	expect(t, rep,
		want{kindALB, "Public", 1, alb}, want{kindALB, "Public", 1, lcu},
		want{kindALB, "Internal", 1, alb}, want{kindALB, "Internal", 1, lcu},
		want{kindNLB, "Nlb", 1, 0.0225 * 730},
		want{kindIPv4, "Public", 3, 3 * 0.005 * 730},
		want{kindIPv4, "Nlb", 2, 2 * 0.005 * 730},
	)
}

// taskDef is a Fargate task definition of cpu units and memory MiB.
func taskDef(cpu, mem, arch string) res {
	return r("AWS::ECS::TaskDefinition", map[string]any{"Cpu": cpu, "Memory": mem, "RequiresCompatibilities": []any{"FARGATE"},
		"RuntimePlatform": map[string]any{"CpuArchitecture": arch, "OperatingSystemFamily": "LINUX"}})
}

func service(td string, props map[string]any) res {
	p := map[string]any{"Cluster": map[string]any{"Ref": "Cluster"}, "TaskDefinition": map[string]any{"Ref": td}}
	for k, v := range props {
		p[k] = v
	}
	return r("AWS::ECS::Service", p)
}

func target(svc string, min any) res {
	return r("AWS::ApplicationAutoScaling::ScalableTarget", map[string]any{"ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": min,
		"ResourceId": map[string]any{"Fn::Join": []any{"", []any{"service/", map[string]any{"Ref": "Cluster"}, "/", map[string]any{"Fn::GetAtt": []any{svc, "Name"}}}}}})
}

func TestFargate(t *testing.T) {
	arm := func(vcpu, gib float64) float64 { return (vcpu*0.03238 + gib*0.00356) * 730 }
	x86 := func(vcpu, gib float64) float64 { return (vcpu*0.04048 + gib*0.004445) * 730 }
	spot := []any{map[string]any{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}}
	rep := estimate(t, map[string]res{
		"Cluster":       r("AWS::ECS::Cluster", map[string]any{}),
		"Associations":  r("AWS::ECS::ClusterCapacityProviderAssociations", map[string]any{"Cluster": map[string]any{"Ref": "Cluster"}, "DefaultCapacityProviderStrategy": spot}),
		"WebTask":       taskDef("512", "1024", "ARM64"),
		"Web":           service("WebTask", map[string]any{"LaunchType": "FARGATE", "DesiredCount": ifPushed(noValue, 0)}),
		"WebTarget":     target("Web", ifPushed(2, 0)),
		"BeatTask":      taskDef("256", "512", "X86_64"),
		"Beat":          service("BeatTask", map[string]any{"LaunchType": "FARGATE", "DesiredCount": ifPushed(1, 0)}),
		"WorkerTask":    taskDef("1024", "2048", "ARM64"),
		"Worker":        service("WorkerTask", map[string]any{"CapacityProviderStrategy": spot, "DesiredCount": 3}),
		"WorkerTarget":  target("Worker", "1"),
		"Mixed":         service("WorkerTask", map[string]any{"DesiredCount": 3, "CapacityProviderStrategy": []any{map[string]any{"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1}, map[string]any{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}}}),
		"Default":       service("BeatTask", map[string]any{}), // no count: 1; no launch type: the cluster's default strategy
		"PublicTask":    taskDef("256", "512", "ARM64"),
		"Public":        service("PublicTask", map[string]any{"LaunchType": "FARGATE", "DesiredCount": 2, "NetworkConfiguration": map[string]any{"AwsvpcConfiguration": map[string]any{"AssignPublicIp": "ENABLED"}}}),
		"MigrationTask": taskDef("512", "1024", "ARM64"),
	})
	expect(t, rep,
		want{kindFargate, "Web", 2, 2 * arm(0.5, 1)},
		want{kindFargate, "Beat", 1, x86(0.25, 0.5)},
		want{kindFargateSpot, "Worker", 1, 0.3 * arm(1, 2)},
		want{kindFargate, "Mixed", 2, 2 * arm(1, 2)},
		want{kindFargateSpot, "Mixed", 1, 0.3 * arm(1, 2)},
		want{kindFargateSpot, "Default", 1, 0.3 * x86(0.25, 0.5)},
		want{kindFargate, "Public", 2, 2 * arm(0.25, 0.5)},
		want{kindIPv4, "Public", 2, 2 * 0.005 * 730},
	)
	if len(rep.UsageBased) != 1 || rep.UsageBased[0] != (Usage{"AWS::ECS::TaskDefinition", 1, usageNotes["AWS::ECS::TaskDefinition"]}) {
		t.Errorf("usage-based %+v, want the one task definition no service runs", rep.UsageBased)
	}
}

func TestDatabase(t *testing.T) {
	rep := estimate(t, map[string]res{
		"Small": r("AWS::RDS::DBInstance", map[string]any{"Engine": "postgres", "DBInstanceClass": "db.t4g.micro", "AllocatedStorage": "20", "StorageType": "gp3", "MultiAZ": false}),
		"Big":   r("AWS::RDS::DBInstance", map[string]any{"Engine": "postgres", "DBInstanceClass": "db.r6g.xlarge", "AllocatedStorage": 100, "StorageType": "gp3", "MultiAZ": true}),
		"Odd":   r("AWS::RDS::DBInstance", map[string]any{"Engine": "postgres", "DBInstanceClass": "db.z9.large", "AllocatedStorage": 20}),
		"Proxy": r("AWS::RDS::DBProxy", map[string]any{"EngineFamily": "POSTGRESQL"}),
		"ProxyTargets": r("AWS::RDS::DBProxyTargetGroup", map[string]any{"DBProxyName": map[string]any{"Ref": "Proxy"},
			"DBInstanceIdentifiers": []any{map[string]any{"Ref": "Big"}}}),
		"SmallProxy":   r("AWS::RDS::DBProxy", map[string]any{}),
		"SmallTargets": r("AWS::RDS::DBProxyTargetGroup", map[string]any{"DBProxyName": map[string]any{"Ref": "SmallProxy"}, "DBInstanceIdentifiers": []any{map[string]any{"Ref": "Small"}}}),
	})
	expect(t, rep,
		want{kindRDS, "Small", 1, 0.016 * 730},
		want{kindRDS, "Big", 2, 2 * 0.45 * 730}, // Multi-AZ bills the standby
		want{kindRDS, "Odd", 1, 0},
		want{kindRDSStorage, "Small", 20, 20 * 0.115},
		want{kindRDSStorage, "Big", 200, 200 * 0.115},
		want{kindRDSStorage, "Odd", 20, 20 * 0.115}, // gp2 when StorageType is absent
		want{kindRDSProxy, "Proxy", 4, 4 * 0.015 * 730},
		want{kindRDSProxy, "SmallProxy", 2, 2 * 0.015 * 730},
	)
}

func TestCache(t *testing.T) {
	rep := estimate(t, map[string]res{
		"Valkey":  r("AWS::ElastiCache::ReplicationGroup", map[string]any{"Engine": "valkey", "CacheNodeType": "cache.t4g.micro", "NumCacheClusters": 1}),
		"Redis":   r("AWS::ElastiCache::ReplicationGroup", map[string]any{"Engine": "redis", "CacheNodeType": "cache.m7g.large", "NumCacheClusters": 2}),
		"Sharded": r("AWS::ElastiCache::ReplicationGroup", map[string]any{"Engine": "valkey", "CacheNodeType": "cache.t4g.small", "NumNodeGroups": 2, "ReplicasPerNodeGroup": 1}),
		"Single":  r("AWS::ElastiCache::CacheCluster", map[string]any{"Engine": "memcached", "CacheNodeType": "cache.t3.micro", "NumCacheNodes": 3}),
	})
	expect(t, rep,
		want{kindCache, "Valkey", 1, 0.8 * 0.016 * 730},
		want{kindCache, "Redis", 2, 2 * 0.158 * 730},
		want{kindCache, "Sharded", 4, 4 * 0.8 * 0.032 * 730},
		want{kindCache, "Single", 3, 3 * 0.017 * 730},
	)
}

func TestFlatAndUsage(t *testing.T) {
	stat := func(period float64) map[string]any {
		return map[string]any{"MetricStat": map[string]any{"Period": period, "Stat": "Sum", "Metric": map[string]any{"MetricName": "m"}}, "ReturnData": false}
	}
	rep := estimate(t, map[string]res{
		"Key":        r("AWS::KMS::Key", map[string]any{}),
		"Secret":     r("AWS::SecretsManager::Secret", map[string]any{}),
		"Replicated": r("AWS::SecretsManager::Secret", map[string]any{"ReplicaRegions": []any{map[string]any{"Region": "eu-west-1"}}}),
		"Plain":      r("AWS::CloudWatch::Alarm", map[string]any{"MetricName": "CPUUtilization", "Period": 300}),
		"Math": r("AWS::CloudWatch::Alarm", map[string]any{"Metrics": []any{
			map[string]any{"Id": "e", "Expression": "a / b", "ReturnData": true}, stat(300), stat(300)}}),
		"Fast":      r("AWS::CloudWatch::Alarm", map[string]any{"MetricName": "x", "Period": 10}),
		"Both":      r("AWS::CloudWatch::CompositeAlarm", map[string]any{}),
		"Dashboard": r("AWS::CloudWatch::Dashboard", map[string]any{}),
		"Advanced":  r("AWS::SSM::Parameter", map[string]any{"Tier": "Advanced"}),
		"Standard":  r("AWS::SSM::Parameter", map[string]any{}),
		"OldPipe":   r("AWS::CodePipeline::Pipeline", map[string]any{}),
		"NewPipe":   r("AWS::CodePipeline::Pipeline", map[string]any{"PipelineType": "V2"}),
		"Fn":        r("AWS::Lambda::Function", map[string]any{}),
		"Build":     r("AWS::CodeBuild::Project", map[string]any{}),
		"Cdn":       r("AWS::CloudFront::Distribution", map[string]any{}),
		"Cluster":   r("AWS::ECS::Cluster", map[string]any{"ClusterSettings": []any{map[string]any{"Name": "containerInsights", "Value": "enabled"}}}),
		"Quiet":     r("AWS::ECS::Cluster", map[string]any{"ClusterSettings": []any{map[string]any{"Name": "containerInsights", "Value": "disabled"}}}),
	})
	expect(t, rep,
		want{kindKMS, "Key", 1, 1},
		want{kindSecret, "Secret", 1, 0.40},
		want{kindSecret, "Replicated", 2, 0.80},
		want{kindAlarm, "Plain", 1, 0.10},
		want{kindAlarm, "Math", 2, 0.20},
		want{kindAlarm, "Fast", 1, 0.30},
		want{kindAlarm, "Both", 1, 0.50},
		want{kindDashboard, "Dashboard", 1, 3},
		want{kindParameter, "Advanced", 1, 0.05},
		want{kindPipeline, "OldPipe", 1, 1},
	)
	var types []string
	for _, u := range rep.UsageBased {
		types = append(types, u.Type)
	}
	if got, want := strings.Join(types, " "), "AWS::CloudFront::Distribution AWS::CodeBuild::Project AWS::CodePipeline::Pipeline AWS::ECS::Cluster (Container Insights) AWS::Lambda::Function"; got != want {
		t.Errorf("usage-based types %s, want %s", got, want)
	}
}

func TestReport(t *testing.T) {
	rep := estimate(t,
		map[string]res{"Nat": r("AWS::EC2::NatGateway", map[string]any{}), "Key": r("AWS::KMS::Key", map[string]any{})},
		map[string]res{"Dashboard": r("AWS::CloudWatch::Dashboard", map[string]any{}), "Fn": r("AWS::Lambda::Function", map[string]any{})},
	)
	if want := 32.85 + 1 + 3; !near(rep.MonthlyTotal, want) {
		t.Errorf("total %v, want %v", rep.MonthlyTotal, want)
	}
	if !rep.Complete || rep.Region != "us-east-1" || rep.PriceDate != PriceDate {
		t.Errorf("complete %v, region %q, price date %q", rep.Complete, rep.Region, rep.PriceDate)
	}
	if rep.Items[0].Kind != kindNAT || rep.Items[0].Stack != "s0" || rep.Items[2].Kind != kindDashboard || rep.Items[2].Stack != "s1" {
		t.Errorf("items not in kind order across stacks: %+v", rep.Items)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"item  ", "NAT gateway (Nat)                 1         $0.045/hour  $32.85\n", "KMS key (Key)", "$1/month", "total", "$36.85",
		"us-east-1 list prices as of 2026-11", "1 × AWS::Lambda::Function: requests and GB-seconds"} {
		if !strings.Contains(table.String(), s) {
			t.Errorf("the table lacks %q:\n%s", s, table.String())
		}
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back["monthlyTotal"] != 36.85 || back["priceDate"] != "2026-11" || len(back["items"].([]any)) != 3 {
		t.Errorf("JSON %s", raw)
	}
}

func TestErrors(t *testing.T) {
	if _, err := Estimate(t.TempDir()); err == nil || !strings.Contains(err.Error(), "is not a cloud assembly (synthesize one with npx cdk synth") {
		t.Errorf("empty directory: %v", err)
	}
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "manifest.json"), map[string]any{"artifacts": map[string]any{}})
	if _, err := Estimate(dir); err == nil || !strings.Contains(err.Error(), "manifest.json lists no CloudFormation stack") {
		t.Errorf("no stacks: %v", err)
	}
	writeJSON(t, filepath.Join(dir, "manifest.json"), map[string]any{"artifacts": map[string]any{"app": map[string]any{
		"type": "aws:cloudformation:stack", "environment": "aws://1/eu-west-1", "properties": map[string]any{"templateFile": "app.template.json"}}}})
	writeJSON(t, filepath.Join(dir, "app.template.json"), map[string]any{"Resources": map[string]res{
		"Task": taskDef("256", "512", "ARM64"),
		"Svc":  service("Task", map[string]any{"DesiredCount": map[string]any{"Ref": "Count"}}),
	}})
	_, err := Estimate(dir)
	if want := `stack app, resource Svc: DesiredCount is {"Ref":"Count"}, which the estimate cannot read as a number; give it a literal value`; err == nil || err.Error() != want {
		t.Errorf("parameterised count: %v, want %s", err, want)
	}
	writeJSON(t, filepath.Join(dir, "app.template.json"), map[string]any{"Resources": map[string]res{"Nat": r("AWS::EC2::NatGateway", nil)}})
	rep, err := Estimate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Region != "eu-west-1" || rep.Notes[0] != "the stacks are in eu-west-1; the prices are us-east-1 list prices" {
		t.Errorf("region %q, notes %q", rep.Region, rep.Notes)
	}
}
