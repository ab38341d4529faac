package cost

// PriceDate is when the prices in this file were list prices.
const PriceDate = "2026-11"

// PriceRegion is the region whose list prices this file holds. Stacks in
// another region are estimated at these prices, with a note in the report.
const PriceRegion = "us-east-1"

// HoursPerMonth is the month AWS's pricing pages use: 730 hours.
const HoursPerMonth = 730

// albMinimumLCU is the load balancer capacity units an idle Application
// Load Balancer is assumed to use every hour: one, the smallest whole LCU.
// Real LCU use grows with connections, requests and bytes.
const albMinimumLCU = 1

// amiRootVolumeGiB is the root volume of an EC2 instance whose template
// gives no block device mapping: the 8 GiB gp3 volume of Amazon Linux 2023.
const amiRootVolumeGiB = 8

// rdsProxyMinimumVCPU is the fewest vCPUs RDS Proxy bills for an instance.
const rdsProxyMinimumVCPU = 2

// valkeyNodeDiscount is how much cheaper an ElastiCache Valkey node is than
// the same Redis OSS node (the node prices below are Redis OSS).
const valkeyNodeDiscount = 0.20

// fargateSpotDiscount is the Fargate Spot discount assumed on the
// on-demand price. Spot prices float with supply and demand; AWS advertises
// up to 70% off and the us-east-1 Linux Spot prices have stayed near it.
const fargateSpotDiscount = 0.70

// The price table: every list price the estimate uses, in USD, us-east-1,
// as of PriceDate. Per hour unless the name says month.
var prices = struct {
	// https://aws.amazon.com/vpc/pricing/ (NAT gateways, public IPv4
	// addresses, PrivateLink interface endpoints)
	natGatewayHour          float64
	publicIPv4Hour          float64
	interfaceEndpointAZHour float64
	// https://aws.amazon.com/elasticloadbalancing/pricing/
	albHour, albLCUHour  float64
	nlbHour, nlbNLCUHour float64
	// https://aws.amazon.com/fargate/pricing/ (Linux)
	fargateVCPUHour, fargateGiBHour map[string]float64 // by CpuArchitecture
	// https://aws.amazon.com/ec2/pricing/on-demand/ (Linux, shared tenancy)
	ec2Hour map[string]float64
	// https://aws.amazon.com/ebs/pricing/
	ebsGiBMonth map[string]float64 // by volume type
	// https://aws.amazon.com/rds/postgresql/pricing/ (Single-AZ on-demand;
	// Multi-AZ bills the standby too)
	rdsInstanceHour map[string]float64
	rdsVCPU         map[string]int     // vCPUs of each class, for RDS Proxy
	rdsGiBMonth     map[string]float64 // by storage type, Single-AZ
	// https://aws.amazon.com/rds/proxy/pricing/
	rdsProxyVCPUHour float64
	// https://aws.amazon.com/elasticache/pricing/ (on-demand nodes, Redis OSS
	// and Memcached; Valkey is valkeyNodeDiscount cheaper)
	cacheNodeHour map[string]float64
	// https://aws.amazon.com/kms/pricing/
	kmsKeyMonth float64
	// https://aws.amazon.com/secrets-manager/pricing/
	secretMonth float64
	// https://aws.amazon.com/cloudwatch/pricing/ (alarms per metric,
	// dashboards; the free tier is left out)
	alarmMetricMonth, highResAlarmMetricMonth, compositeAlarmMonth float64
	dashboardMonth                                                 float64
	// https://aws.amazon.com/systems-manager/pricing/ (Parameter Store)
	advancedParameterMonth float64
	// https://aws.amazon.com/codepipeline/pricing/ (V1 pipelines; V2 bills
	// action minutes)
	pipelineV1Month float64
}{
	natGatewayHour:          0.045,
	publicIPv4Hour:          0.005,
	interfaceEndpointAZHour: 0.01,
	albHour:                 0.0225,
	albLCUHour:              0.008,
	nlbHour:                 0.0225,
	nlbNLCUHour:             0.006,
	fargateVCPUHour:         map[string]float64{"X86_64": 0.04048, "ARM64": 0.03238},
	fargateGiBHour:          map[string]float64{"X86_64": 0.004445, "ARM64": 0.00356},
	ec2Hour: map[string]float64{
		"t4g.nano": 0.0042, "t4g.micro": 0.0084, "t4g.small": 0.0168, "t4g.medium": 0.0336,
		"t3.nano": 0.0052, "t3.micro": 0.0104, "t3.small": 0.0208, "t3.medium": 0.0416,
		"t3a.nano": 0.0047, "t3a.micro": 0.0094, "t3a.small": 0.0188,
		"c7g.medium": 0.0363, "c6gn.medium": 0.0432,
	},
	ebsGiBMonth: map[string]float64{"gp3": 0.08, "gp2": 0.10},
	rdsInstanceHour: map[string]float64{
		"db.t4g.micro": 0.016, "db.t4g.small": 0.032, "db.t4g.medium": 0.065,
		"db.t4g.large": 0.129, "db.t4g.xlarge": 0.258, "db.t4g.2xlarge": 0.517,
		"db.t3.micro": 0.018, "db.t3.small": 0.036, "db.t3.medium": 0.072, "db.t3.large": 0.145,
		"db.m6g.large": 0.159, "db.m6g.xlarge": 0.318, "db.m6g.2xlarge": 0.636,
		"db.m7g.large": 0.168, "db.m7g.xlarge": 0.337, "db.m7g.2xlarge": 0.674,
		"db.r6g.large": 0.225, "db.r6g.xlarge": 0.45, "db.r6g.2xlarge": 0.899,
		"db.r7g.large": 0.239, "db.r7g.xlarge": 0.478, "db.r7g.2xlarge": 0.956,
	},
	rdsVCPU: map[string]int{
		"db.t4g.micro": 2, "db.t4g.small": 2, "db.t4g.medium": 2, "db.t4g.large": 2,
		"db.t4g.xlarge": 4, "db.t4g.2xlarge": 8,
		"db.t3.micro": 2, "db.t3.small": 2, "db.t3.medium": 2, "db.t3.large": 2,
		"db.m6g.large": 2, "db.m6g.xlarge": 4, "db.m6g.2xlarge": 8,
		"db.m7g.large": 2, "db.m7g.xlarge": 4, "db.m7g.2xlarge": 8,
		"db.r6g.large": 2, "db.r6g.xlarge": 4, "db.r6g.2xlarge": 8,
		"db.r7g.large": 2, "db.r7g.xlarge": 4, "db.r7g.2xlarge": 8,
	},
	rdsGiBMonth:      map[string]float64{"gp3": 0.115, "gp2": 0.115},
	rdsProxyVCPUHour: 0.015,
	cacheNodeHour: map[string]float64{
		"cache.t4g.micro": 0.016, "cache.t4g.small": 0.032, "cache.t4g.medium": 0.065,
		"cache.t3.micro": 0.017, "cache.t3.small": 0.034, "cache.t3.medium": 0.068,
		"cache.m6g.large": 0.149, "cache.m6g.xlarge": 0.296,
		"cache.m7g.large": 0.158, "cache.m7g.xlarge": 0.315,
		"cache.r6g.large": 0.206, "cache.r6g.xlarge": 0.411,
		"cache.r7g.large": 0.219, "cache.r7g.xlarge": 0.437,
	},
	kmsKeyMonth:             1.00,
	secretMonth:             0.40,
	alarmMetricMonth:        0.10,
	highResAlarmMetricMonth: 0.30,
	compositeAlarmMonth:     0.50,
	dashboardMonth:          3.00,
	advancedParameterMonth:  0.05,
	pipelineV1Month:         1.00,
}
