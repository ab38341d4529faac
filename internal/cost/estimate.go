// Package cost estimates the fixed monthly cost of an environment at list
// price from its synthesized CloudFormation templates, offline: what runs
// all month whether anyone uses the product or not (NAT, load balancers,
// public IPv4 addresses, Fargate services at their minimum, RDS, RDS Proxy,
// ElastiCache, KMS keys, secrets, alarms, dashboards, interface endpoints,
// EC2 instances). Usage-based resources (Lambda, CodeBuild, CloudFront, S3,
// logs, data transfer) are listed but not counted. The prices, with their
// date and region, are the one table in prices.go.
package cost

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
)

// The kinds of items, in the order the report lists them.
const (
	kindNAT           = "NAT gateway"
	kindInstance      = "EC2 instance"
	kindVolume        = "EBS volume"
	kindIPv4          = "Public IPv4 address"
	kindEndpoint      = "VPC interface endpoint"
	kindALB           = "Application Load Balancer"
	kindNLB           = "Network Load Balancer"
	kindFargate       = "Fargate task"
	kindFargateSpot   = "Fargate Spot task"
	kindRDS           = "RDS instance"
	kindRDSStorage    = "RDS storage"
	kindRDSProxy      = "RDS Proxy"
	kindCache         = "ElastiCache node"
	kindKMS           = "KMS key"
	kindSecret        = "Secrets Manager secret"
	kindAlarm         = "CloudWatch alarm"
	kindDashboard     = "CloudWatch dashboard"
	kindParameter     = "SSM advanced parameter"
	kindPipeline      = "CodePipeline V1 pipeline"
	kindUnsupported   = "Unsupported"
	perHour, perMonth = "hour", "month"
)

var kindOrder = []string{kindNAT, kindInstance, kindVolume, kindIPv4, kindEndpoint, kindALB, kindNLB,
	kindFargate, kindFargateSpot, kindRDS, kindRDSStorage, kindRDSProxy, kindCache, kindKMS, kindSecret,
	kindAlarm, kindDashboard, kindParameter, kindPipeline, kindUnsupported}

// containerInsights is the usage entry of clusters with Container Insights.
const containerInsights = "AWS::ECS::Cluster (Container Insights)"

// usageNotes are the resource types billed by use, with what their bill
// depends on.
var usageNotes = map[string]string{
	"AWS::Lambda::Function":             "requests and GB-seconds",
	"AWS::CodeBuild::Project":           "build minutes",
	"AWS::CodePipeline::Pipeline":       "V2 pipelines: action execution minutes",
	"AWS::CloudFront::Distribution":     "requests and data transfer out",
	"AWS::S3::Bucket":                   "GB stored, requests",
	"AWS::Logs::LogGroup":               "GB ingested and stored",
	"AWS::ECR::Repository":              "GB of images stored",
	"AWS::SNS::Topic":                   "messages delivered",
	"AWS::Events::Rule":                 "custom events",
	"AWS::EC2::FlowLog":                 "GB of flow logs delivered",
	"AWS::ECS::TaskDefinition":          "one-off and scheduled tasks (migrations, static files, jobs): the seconds they run",
	"AWS::ElastiCache::ServerlessCache": "GB-hours stored and ElastiCache processing units",
	containerInsights:                   "CloudWatch metrics per cluster, service and task, and performance log events",
}

// Estimate reads the cloud assembly in dir (cdk.out/<env>: manifest.json
// and the *.template.json of each stack) and returns the environment's
// fixed monthly cost at PriceRegion list prices as of PriceDate.
//
// Fargate services count at their floor: the scalable target's
// MinCapacity, else DesiredCount, else 1. Conditions count as true, the
// running state (ImagePushed). An instance type or class missing from the
// price table gives an item marked Unpriced, and Report.Complete is false.
func Estimate(dir string) (*Report, error) {
	stacks, err := readAssembly(dir)
	if err != nil {
		return nil, err
	}
	e := &estimator{usage: map[string]int{}}
	regions := map[string]bool{}
	for _, t := range stacks {
		regions[t.Region] = true
		if err := e.stack(t); err != nil {
			return nil, err
		}
	}
	return e.report(regions), nil
}

// estimator collects the items of one environment's stacks.
type estimator struct {
	items []Item
	usage map[string]int
}

func (e *estimator) add(t *stackTemplate, id, kind, detail string, quantity, unitPrice float64, per string) {
	monthly := quantity * unitPrice
	if per == perHour {
		monthly *= HoursPerMonth
	}
	e.items = append(e.items, Item{Kind: kind, Detail: detail, Stack: t.Name, Resource: id,
		Quantity: quantity, UnitPrice: unitPrice, Per: per, Monthly: monthly})
}

func (e *estimator) unpriced(t *stackTemplate, id, kind, detail string, quantity float64, why string) {
	e.items = append(e.items, Item{Kind: kind, Detail: detail, Stack: t.Name, Resource: id, Quantity: quantity, Unpriced: why})
}

// stack adds the items of one template.
func (e *estimator) stack(t *stackTemplate) error {
	for _, step := range []func(*stackTemplate) error{
		e.network, e.instances, e.loadBalancers, e.services, e.databases, e.caches, e.flat,
	} {
		if err := step(t); err != nil {
			return err
		}
	}
	return nil
}

// network: NAT gateways, Elastic IPs, interface endpoints.
func (e *estimator) network(t *stackTemplate) error {
	for _, id := range t.ids("AWS::EC2::NatGateway") {
		e.add(t, id, kindNAT, shortID(id), 1, prices.natGatewayHour, perHour)
	}
	for _, id := range t.ids("AWS::EC2::EIP") {
		e.add(t, id, kindIPv4, "Elastic IP "+shortID(id), 1, prices.publicIPv4Hour, perHour)
	}
	for _, id := range t.ids("AWS::EC2::VPCEndpoint") {
		p := t.Resources[id].Properties
		switch text(p["VpcEndpointType"]) {
		case "", "Gateway": // gateway endpoints (S3, DynamoDB) are free
		case "Interface":
			azs := len(list(p["SubnetIds"]))
			if azs == 0 {
				return fmt.Errorf("stack %s, resource %s: interface endpoint without SubnetIds; the estimate counts one charge per subnet", t.Name, id)
			}
			e.add(t, id, kindEndpoint, fmt.Sprintf("%s, per zone", shortID(id)), float64(azs), prices.interfaceEndpointAZHour, perHour)
		default:
			e.unpriced(t, id, kindEndpoint, shortID(id), 1, "endpoint type "+text(p["VpcEndpointType"])+" is not in the price table")
		}
	}
	return nil
}

// instances: EC2 instances (NAT instances) by type, their root volumes and
// public IPv4 addresses.
func (e *estimator) instances(t *stackTemplate) error {
	for _, id := range t.ids("AWS::EC2::Instance") {
		p := t.Resources[id].Properties
		typ := text(p["InstanceType"])
		if price, ok := prices.ec2Hour[typ]; ok {
			e.add(t, id, kindInstance, shortID(id)+", "+typ, 1, price, perHour)
		} else {
			e.unpriced(t, id, kindInstance, shortID(id)+", "+typ, 1, fmt.Sprintf("instance type %q is not in the price table", typ))
		}
		volumes := 0
		for _, m := range list(p["BlockDeviceMappings"]) {
			ebs, _ := m.(map[string]any)["Ebs"].(map[string]any)
			if ebs == nil {
				continue
			}
			volumes++
			size, ok, err := t.number(id, "BlockDeviceMappings.Ebs.VolumeSize", ebs["VolumeSize"])
			if err != nil {
				return err
			}
			if !ok {
				size = amiRootVolumeGiB
			}
			vt := text(ebs["VolumeType"])
			if vt == "" {
				vt = "gp2" // EC2's default volume type
			}
			if price, ok := prices.ebsGiBMonth[vt]; ok {
				e.add(t, id, kindVolume, shortID(id)+", "+vt, size, price, perMonth)
			} else {
				e.unpriced(t, id, kindVolume, shortID(id)+", "+vt, size, "volume type "+vt+" is not in the price table")
			}
		}
		if volumes == 0 {
			e.add(t, id, kindVolume, fmt.Sprintf("%s, %d GiB gp3 AMI root volume (assumed)", shortID(id), amiRootVolumeGiB),
				amiRootVolumeGiB, prices.ebsGiBMonth["gp3"], perMonth)
		}
		if t.publicInstance(id, p) {
			e.add(t, id, kindIPv4, shortID(id)+", auto-assigned", 1, prices.publicIPv4Hour, perHour)
		}
	}
	return nil
}

// publicInstance reports whether the instance gets an auto-assigned public
// IPv4 address (an Elastic IP on it is counted as an EIP instead).
func (t *stackTemplate) publicInstance(id string, p map[string]any) bool {
	for _, eip := range t.ids("AWS::EC2::EIP") {
		if refersTo(t.Resources[eip].Properties["InstanceId"], id) {
			return false
		}
	}
	for _, assoc := range t.ids("AWS::EC2::EIPAssociation") {
		if refersTo(t.Resources[assoc].Properties["InstanceId"], id) {
			return false
		}
	}
	for _, ni := range list(p["NetworkInterfaces"]) {
		if m, _ := ni.(map[string]any); m != nil {
			switch m["AssociatePublicIpAddress"] {
			case true, "true":
				return true
			case false, "false":
				return false
			}
		}
	}
	subnet := t.Resources[ref(p["SubnetId"])]
	return subnet.Type == "AWS::EC2::Subnet" && (subnet.Properties["MapPublicIpOnLaunch"] == true || subnet.Properties["MapPublicIpOnLaunch"] == "true")
}

// loadBalancers: ALBs and NLBs by the hour, an assumed minimum of capacity
// units, and a public IPv4 address per zone when internet-facing.
func (e *estimator) loadBalancers(t *stackTemplate) error {
	for _, id := range t.ids("AWS::ElasticLoadBalancingV2::LoadBalancer") {
		p := t.Resources[id].Properties
		switch typ := text(p["Type"]); typ {
		case "", "application":
			e.add(t, id, kindALB, shortID(id), 1, prices.albHour, perHour)
			e.add(t, id, kindALB, fmt.Sprintf("%s, LCU (assumed minimum %d)", shortID(id), albMinimumLCU), albMinimumLCU, prices.albLCUHour, perHour)
		case "network":
			e.add(t, id, kindNLB, shortID(id), 1, prices.nlbHour, perHour)
		default:
			e.unpriced(t, id, kindUnsupported, "load balancer "+shortID(id)+" of type "+typ, 1, "load balancer type "+typ+" is not in the price table")
			continue
		}
		if text(p["Scheme"]) == "internal" || text(p["IpAddressType"]) == "dualstack-without-public-ipv4" {
			continue
		}
		zones := len(list(p["Subnets"])) + len(list(p["SubnetMappings"]))
		if zones == 0 {
			return fmt.Errorf("stack %s, resource %s: internet-facing load balancer without Subnets or SubnetMappings; the estimate counts one public IPv4 address per subnet", t.Name, id)
		}
		e.add(t, id, kindIPv4, shortID(id)+", one per zone", float64(zones), prices.publicIPv4Hour, perHour)
	}
	return nil
}

// services: ECS services on Fargate at their floor, by architecture, size
// and capacity provider, and their tasks' public IPv4 addresses.
func (e *estimator) services(t *stackTemplate) error {
	used := map[string]bool{}
	for _, id := range t.ids("AWS::ECS::Service") {
		p := t.Resources[id].Properties
		tdID := ref(p["TaskDefinition"])
		td, ok := t.Resources[tdID]
		if !ok || td.Type != "AWS::ECS::TaskDefinition" {
			return fmt.Errorf("stack %s, resource %s: TaskDefinition does not name a task definition of the same stack; the estimate needs its CPU and memory", t.Name, id)
		}
		used[tdID] = true
		tasks, err := t.serviceFloor(id, p)
		if err != nil {
			return err
		}
		if tasks == 0 {
			continue
		}
		if err := e.fargate(t, id, tdID, td.Properties, tasks, t.strategy(p)); err != nil {
			return err
		}
		if nc, _ := p["NetworkConfiguration"].(map[string]any); nc != nil {
			if vpc, _ := nc["AwsvpcConfiguration"].(map[string]any); vpc != nil && text(vpc["AssignPublicIp"]) == "ENABLED" {
				e.add(t, id, kindIPv4, shortID(id)+" tasks", tasks, prices.publicIPv4Hour, perHour)
			}
		}
	}
	for _, id := range t.ids("AWS::ECS::TaskDefinition") {
		if !used[id] {
			e.usage["AWS::ECS::TaskDefinition"]++
		}
	}
	return nil
}

// serviceFloor is how many tasks a service runs when idle: its scalable
// target's MinCapacity, else its DesiredCount, else 1 (CloudFormation's
// default on create).
func (t *stackTemplate) serviceFloor(id string, p map[string]any) (float64, error) {
	for _, st := range t.ids("AWS::ApplicationAutoScaling::ScalableTarget") {
		sp := t.Resources[st].Properties
		if text(sp["ScalableDimension"]) == "ecs:service:DesiredCount" && refersTo(sp["ResourceId"], id) {
			n, _, err := t.number(st, "MinCapacity", sp["MinCapacity"])
			return n, err
		}
	}
	n, ok, err := t.number(id, "DesiredCount", p["DesiredCount"])
	if err != nil || ok {
		return n, err
	}
	return 1, nil
}

// share is a capacity provider's part of a strategy.
type share struct {
	provider     string
	base, weight float64
}

// strategy returns the service's capacity provider strategy, its cluster's
// default one when the service sets neither strategy nor launch type, or
// nil for plain Fargate.
func (t *stackTemplate) strategy(p map[string]any) []share {
	items := list(p["CapacityProviderStrategy"])
	if len(items) == 0 && p["LaunchType"] == nil {
		cluster := ref(p["Cluster"])
		for _, a := range t.ids("AWS::ECS::ClusterCapacityProviderAssociations") {
			if ap := t.Resources[a].Properties; cluster != "" && ref(ap["Cluster"]) == cluster {
				items = list(ap["DefaultCapacityProviderStrategy"])
			}
		}
	}
	var out []share
	for _, it := range items {
		m, _ := it.(map[string]any)
		base, _ := m["Base"].(float64)
		weight, _ := m["Weight"].(float64)
		out = append(out, share{provider: text(m["CapacityProvider"]), base: base, weight: weight})
	}
	return out
}

// split divides tasks among a strategy's providers: the bases first, the
// rest by weight.
func split(tasks float64, strategy []share) map[string]float64 {
	if len(strategy) == 0 {
		return map[string]float64{"FARGATE": tasks}
	}
	out := map[string]float64{}
	left, weights := tasks, 0.0
	for _, s := range strategy {
		b := math.Min(s.base, left)
		out[s.provider] += b
		left -= b
		weights += s.weight
	}
	for _, s := range strategy {
		if weights > 0 {
			out[s.provider] += left * s.weight / weights
		}
	}
	if weights == 0 && left > 0 { // all base, no weight: ECS puts the rest on the first
		out[strategy[0].provider] += left
	}
	return out
}

// fargate adds a service's tasks at their Fargate or Fargate Spot price.
func (e *estimator) fargate(t *stackTemplate, id, tdID string, td map[string]any, tasks float64, strategy []share) error {
	cpu, okCPU, err := t.number(tdID, "Cpu", td["Cpu"])
	if err != nil {
		return err
	}
	mem, okMem, err := t.number(tdID, "Memory", td["Memory"])
	if err != nil {
		return err
	}
	arch, os := "X86_64", "LINUX"
	if rp, _ := td["RuntimePlatform"].(map[string]any); rp != nil {
		if a := text(rp["CpuArchitecture"]); a != "" {
			arch = a
		}
		if o := text(rp["OperatingSystemFamily"]); o != "" {
			os = o
		}
	}
	vcpu, gib := cpu/1024, mem/1024
	detail := fmt.Sprintf("%s, %s, %s vCPU, %s GiB", shortID(id), arch, trimPrice(vcpu), trimPrice(gib))
	fargate := slices.Contains(list(td["RequiresCompatibilities"]), any("FARGATE"))
	byProvider := split(tasks, strategy)
	for _, provider := range slices.Sorted(maps.Keys(byProvider)) {
		n := byProvider[provider]
		if n == 0 {
			continue
		}
		kind, discount := kindFargate, 0.0
		switch {
		case provider == "FARGATE_SPOT":
			kind, discount = kindFargateSpot, fargateSpotDiscount
		case provider != "FARGATE":
			e.unpriced(t, id, kindUnsupported, detail+", capacity provider "+provider, n, "EC2 capacity providers bill their instances, not tasks")
			continue
		}
		vcpuPrice, okArch := prices.fargateVCPUHour[arch]
		switch {
		case !fargate || !okCPU || !okMem:
			e.unpriced(t, id, kind, detail, n, "the task definition is not a Fargate one with Cpu and Memory")
		case !okArch || os != "LINUX":
			e.unpriced(t, id, kind, detail, n, "Fargate "+os+"/"+arch+" is not in the price table")
		default:
			perTask := (vcpu*vcpuPrice + gib*prices.fargateGiBHour[arch]) * (1 - discount)
			e.add(t, id, kind, detail, n, perTask, perHour)
		}
	}
	return nil
}

// databases: RDS instances (doubled when Multi-AZ), their storage, and RDS
// Proxy by the vCPUs of the instances it fronts.
func (e *estimator) databases(t *stackTemplate) error {
	for _, id := range t.ids("AWS::RDS::DBInstance") {
		p := t.Resources[id].Properties
		class, engine := text(p["DBInstanceClass"]), text(p["Engine"])
		copies, az := 1.0, "Single-AZ"
		if p["MultiAZ"] == true || p["MultiAZ"] == "true" {
			copies, az = 2, "Multi-AZ"
		}
		detail := fmt.Sprintf("%s, %s, %s", shortID(id), class, az)
		price, ok := prices.rdsInstanceHour[class]
		switch {
		case engine != "postgres":
			e.unpriced(t, id, kindRDS, detail, copies, fmt.Sprintf("engine %q: the table holds RDS for PostgreSQL prices", engine))
		case !ok:
			e.unpriced(t, id, kindRDS, detail, copies, fmt.Sprintf("instance class %q is not in the price table", class))
		default:
			e.add(t, id, kindRDS, detail, copies, price, perHour)
		}
		gib, ok, err := t.number(id, "AllocatedStorage", p["AllocatedStorage"])
		if err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("stack %s, resource %s: no AllocatedStorage; the estimate prices the allocated GiB", t.Name, id)
			}
			return err
		}
		st := text(p["StorageType"])
		if st == "" {
			st = "gp2"
		}
		sdetail := fmt.Sprintf("%s, %s, %s", shortID(id), st, az)
		if sp, ok := prices.rdsGiBMonth[st]; ok {
			e.add(t, id, kindRDSStorage, sdetail, gib*copies, sp, perMonth)
		} else {
			e.unpriced(t, id, kindRDSStorage, sdetail, gib*copies, "storage type "+st+" is not in the price table")
		}
	}
	for _, id := range t.ids("AWS::RDS::DBProxy") {
		vcpus, classes, unknown := 0, []string{}, false
		for _, tg := range t.ids("AWS::RDS::DBProxyTargetGroup") {
			tp := t.Resources[tg].Properties
			if !refersTo(tp["DBProxyName"], id) {
				continue
			}
			for _, inst := range list(tp["DBInstanceIdentifiers"]) {
				class := text(t.Resources[ref(inst)].Properties["DBInstanceClass"])
				classes = append(classes, class)
				n, ok := prices.rdsVCPU[class]
				vcpus += n
				unknown = unknown || !ok
			}
		}
		detail := fmt.Sprintf("%s, %s", shortID(id), strings.Join(classes, ", "))
		if len(classes) == 0 || unknown {
			e.unpriced(t, id, kindRDSProxy, detail, 0, "the proxy's target instances or their vCPUs are not known from this template")
			continue
		}
		e.add(t, id, kindRDSProxy, detail+", per vCPU", math.Max(float64(vcpus), rdsProxyMinimumVCPU), prices.rdsProxyVCPUHour, perHour)
	}
	return nil
}

// caches: ElastiCache nodes by type and count.
func (e *estimator) caches(t *stackTemplate) error {
	for _, id := range t.ids("AWS::ElastiCache::ReplicationGroup") {
		p := t.Resources[id].Properties
		nodes, ok, err := t.number(id, "NumCacheClusters", p["NumCacheClusters"])
		if err != nil {
			return err
		}
		if !ok {
			groups, okG, err := t.number(id, "NumNodeGroups", p["NumNodeGroups"])
			if err != nil {
				return err
			}
			replicas, _, err := t.number(id, "ReplicasPerNodeGroup", p["ReplicasPerNodeGroup"])
			if err != nil {
				return err
			}
			if !okG {
				groups = 1
			}
			nodes = groups * (replicas + 1)
		}
		e.cacheNodes(t, id, text(p["CacheNodeType"]), text(p["Engine"]), nodes)
	}
	for _, id := range t.ids("AWS::ElastiCache::CacheCluster") {
		p := t.Resources[id].Properties
		nodes, _, err := t.number(id, "NumCacheNodes", p["NumCacheNodes"])
		if err != nil {
			return err
		}
		e.cacheNodes(t, id, text(p["CacheNodeType"]), text(p["Engine"]), nodes)
	}
	return nil
}

func (e *estimator) cacheNodes(t *stackTemplate, id, nodeType, engine string, nodes float64) {
	if engine == "" {
		engine = "redis"
	}
	detail := fmt.Sprintf("%s, %s, %s", shortID(id), engine, nodeType)
	price, ok := prices.cacheNodeHour[nodeType]
	if !ok {
		e.unpriced(t, id, kindCache, detail, nodes, fmt.Sprintf("node type %q is not in the price table", nodeType))
		return
	}
	if engine == "valkey" {
		price *= 1 - valkeyNodeDiscount
	}
	e.add(t, id, kindCache, detail, nodes, price, perHour)
}

// flat: resources with a monthly price each (keys, secrets, alarms,
// dashboards, advanced parameters, V1 pipelines) and the usage-based ones.
func (e *estimator) flat(t *stackTemplate) error {
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		r := t.Resources[id]
		p := r.Properties
		switch r.Type {
		case "AWS::KMS::Key":
			e.add(t, id, kindKMS, shortID(id), 1, prices.kmsKeyMonth, perMonth)
		case "AWS::SecretsManager::Secret":
			e.add(t, id, kindSecret, shortID(id), float64(1+len(list(p["ReplicaRegions"]))), prices.secretMonth, perMonth)
		case "AWS::CloudWatch::Alarm":
			if err := e.alarm(t, id, p); err != nil {
				return err
			}
		case "AWS::CloudWatch::CompositeAlarm":
			e.add(t, id, kindAlarm, shortID(id)+", composite", 1, prices.compositeAlarmMonth, perMonth)
		case "AWS::CloudWatch::Dashboard":
			e.add(t, id, kindDashboard, shortID(id), 1, prices.dashboardMonth, perMonth)
		case "AWS::SSM::Parameter":
			if text(p["Tier"]) == "Advanced" {
				e.add(t, id, kindParameter, shortID(id), 1, prices.advancedParameterMonth, perMonth)
			}
		case "AWS::ECS::Cluster":
			for _, cs := range list(p["ClusterSettings"]) {
				if m, _ := cs.(map[string]any); text(m["Name"]) == "containerInsights" && text(m["Value"]) != "disabled" {
					e.usage[containerInsights]++
				}
			}
		case "AWS::CodePipeline::Pipeline":
			if text(p["PipelineType"]) == "V2" {
				e.usage[r.Type]++
			} else {
				e.add(t, id, kindPipeline, shortID(id), 1, prices.pipelineV1Month, perMonth)
			}
		default:
			if _, ok := usageNotes[r.Type]; ok && r.Type != "AWS::ECS::TaskDefinition" {
				e.usage[r.Type]++
			}
		}
	}
	return nil
}

// alarm prices a metric alarm per metric it reads (metric math expressions
// are free), at the high-resolution price when its period is under a minute.
func (e *estimator) alarm(t *stackTemplate, id string, p map[string]any) error {
	metrics, highRes := 0.0, false
	period, _, err := t.number(id, "Period", p["Period"])
	if err != nil {
		return err
	}
	if period > 0 && period < 60 {
		highRes = true
	}
	if len(list(p["Metrics"])) == 0 {
		metrics = 1
	}
	for _, m := range list(p["Metrics"]) {
		mm, _ := m.(map[string]any)
		if strings.Contains(text(mm["Expression"]), "ANOMALY_DETECTION_BAND") {
			metrics += 2 // an anomaly detection alarm bills three metrics: the metric and the band's two
		}
		stat, _ := mm["MetricStat"].(map[string]any)
		if stat == nil {
			continue
		}
		metrics++
		if sp, ok := stat["Period"].(float64); ok && sp < 60 {
			highRes = true
		}
	}
	price, detail := prices.alarmMetricMonth, "standard"
	if highRes {
		price, detail = prices.highResAlarmMetricMonth, "high resolution"
	}
	e.add(t, id, kindAlarm, fmt.Sprintf("%s, %s, per metric", shortID(id), detail), metrics, price, perMonth)
	return nil
}

// report sorts the items and sums them.
func (e *estimator) report(regions map[string]bool) *Report {
	rank := map[string]int{}
	for i, k := range kindOrder {
		rank[k] = i
	}
	sort.SliceStable(e.items, func(i, j int) bool {
		a, b := e.items[i], e.items[j]
		if rank[a.Kind] != rank[b.Kind] {
			return rank[a.Kind] < rank[b.Kind]
		}
		if a.Stack != b.Stack {
			return a.Stack < b.Stack
		}
		return a.Resource < b.Resource
	})
	r := &Report{PriceRegion: PriceRegion, PriceDate: PriceDate, Currency: "USD", HoursPerMonth: HoursPerMonth,
		Items: e.items, Complete: true, UsageBased: []Usage{}}
	for _, it := range e.items {
		r.MonthlyTotal += it.Monthly
		if it.Unpriced != "" {
			r.Complete = false
		}
	}
	r.MonthlyTotal = math.Round(r.MonthlyTotal*100) / 100
	r.Region = strings.Join(slices.Sorted(maps.Keys(regions)), ", ")
	if r.Region != PriceRegion {
		r.Notes = append(r.Notes, fmt.Sprintf("the stacks are in %s; the prices are %s list prices", r.Region, PriceRegion))
	}
	r.Notes = append(r.Notes,
		"Fargate services count at their floor (the autoscaling minimum), after the first release",
		fmt.Sprintf("an Application Load Balancer is assumed to use %d LCU an hour; traffic adds more", albMinimumLCU),
		fmt.Sprintf("Fargate Spot is priced at %.0f%% off on-demand; its real price floats", fargateSpotDiscount*100),
		"data transfer, NAT data processing and backups beyond the free allowance are usage and not counted",
		"free tiers (3 dashboards, 10 alarm metrics) are not deducted")
	for _, typ := range slices.Sorted(maps.Keys(e.usage)) {
		r.UsageBased = append(r.UsageBased, Usage{Type: typ, Count: e.usage[typ], Note: usageNotes[typ]})
	}
	return r
}
