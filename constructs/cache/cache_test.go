package cache

import (
	"fmt"
	"github.com/djangocdk/djangocdk/constructs/internal/templatetest"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
)

// stacks hands out this test binary's stacks: one App, each test's stack
// in a stage of its own.
var stacks = templatetest.NewStaged()

// placeholderVpc satisfies awsec2.IVpc; validation never calls it.
type placeholderVpc struct{ awsec2.IVpc }

func TestNewRejectsInvalidProps(t *testing.T) {
	valid := func() Props {
		return Props{Vpc: placeholderVpc{}, Subnets: isolated, Name: "app-dev"}
	}
	cases := []struct {
		name string
		edit func(*Props)
		want string
	}{
		{"engine", func(p *Props) { p.Engine = "memcached" }, `Cache: cache.Props.Engine: "memcached" is not an engine; use "valkey" or "redis"`},
		{"name", func(p *Props) { p.Name = "App" }, `Cache: cache.Props.Name: "App" is not a replication group id`},
		{"version", func(p *Props) { p.EngineVersion = "8" }, `Cache: cache.Props.EngineVersion: "8" is not a MAJOR.MINOR version`},
		{"node type", func(p *Props) { p.NodeType = "m7g.large" }, `Cache: cache.Props.NodeType: "m7g.large" is not an ElastiCache node type`},
		{"nodes", func(p *Props) { p.Nodes = 7 }, `Cache: cache.Props.Nodes: 7 is outside 1 to 6`},
		{"shards without cluster mode", func(p *Props) { p.Shards = 2 }, `Cache: cache.Props.Shards: 2 shards need cluster mode; without it use 1`},
		{"too many shards", func(p *Props) { p.ClusterMode = true; p.Shards = 501 }, `Cache: cache.Props.Shards: 501 is outside 1 to 500`},
		{"snapshots", func(p *Props) { p.SnapshotRetentionDays = 36 }, `Cache: cache.Props.SnapshotRetentionDays: 36 is outside 0 (off) to 35`},
		{"removal policy", func(p *Props) { p.RemovalPolicy = awscdk.RemovalPolicy_SNAPSHOT }, `Cache: cache.Props.RemovalPolicy: "SNAPSHOT" is not RETAIN or DESTROY`},
		{"no vpc", func(p *Props) { p.Vpc = nil }, `Cache: cache.Props.Vpc: required`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := valid()
			c.edit(&p)
			_, err := New(nil, "Cache", &p)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line starting %s", err, c.want)
			}
		})
	}
}

// Every problem is reported at once, one line each, under the construct's
// path; nothing is created.
func TestNewReportsEveryProblem(t *testing.T) {
	stack := stacks.Stack(t)
	_, err := New(stack, "Cache", &Props{Subnets: isolated, Name: "shop", Engine: "memcached", Nodes: 9, Shards: 3})
	want := strings.Join([]string{
		`TestNewReportsEveryProblem/Shop/Cache: cache.Props.Engine: "memcached" is not an engine; use "valkey" or "redis"`,
		`TestNewReportsEveryProblem/Shop/Cache: cache.Props.Vpc: required`,
		`TestNewReportsEveryProblem/Shop/Cache: cache.Props.Nodes: 9 is outside 1 to 6 (a primary and up to 5 replicas)`,
		`TestNewReportsEveryProblem/Shop/Cache: cache.Props.Shards: 3 shards need cluster mode; without it use 1`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	if n := len(*stack.Node().Children()); n != 0 {
		t.Errorf("the stack has %d children after a failed New, want none", n)
	}
}

func TestDefaults(t *testing.T) {
	p := Props{Vpc: placeholderVpc{}, Subnets: &awsec2.SubnetSelection{}, Name: "app", ClusterMode: true}
	got, err := p.check(true)
	if err != nil {
		t.Fatal(err)
	}
	if got.Engine != Valkey || got.EngineVersion != "8.0" || got.NodeType != "cache.t4g.micro" || got.Nodes != 1 || got.Shards != 2 {
		t.Errorf("defaults %+v", got)
	}
}

// The defaults: one Valkey 8.0 cache.t4g.micro node in the isolated
// subnets, encrypted at rest and in transit (TLS required), its AUTH token
// from Secrets Manager by a dynamic reference, the slow log in CloudWatch,
// no snapshots, everything retained.
func TestSynthDefaults(t *testing.T) {
	stack := stacks.Stack(t)
	vpc := newVpc(stack)
	c, err := New(stack, "Cache", &Props{Vpc: vpc, Subnets: isolated, Name: "shop-dev"})
	if err != nil {
		t.Fatal(err)
	}
	workers := awsec2.NewSecurityGroup(stack, jsii.String("Workers"), &awsec2.SecurityGroupProps{Vpc: vpc})
	c.AllowFrom(workers, "Celery workers")
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.HasResource(jsii.String("AWS::ElastiCache::ReplicationGroup"), map[string]any{
			"Properties": map[string]any{
				"ReplicationGroupId": "shop-dev", "Engine": "valkey", "EngineVersion": "8.0",
				"CacheNodeType": "cache.t4g.micro", "NumCacheClusters": 1, "Port": Port,
				"AtRestEncryptionEnabled": true, "TransitEncryptionEnabled": true, "TransitEncryptionMode": "required",
				"AutomaticFailoverEnabled": false, "MultiAZEnabled": false, "SnapshotRetentionLimit": 0,
				"ClusterMode": assertions.Match_Absent(),
				"AuthToken": map[string]any{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{
					"{{resolve:secretsmanager:", map[string]any{"Ref": "CacheAuthToken04672416"}, ":SecretString:password::}}",
				})}},
				"LogDeliveryConfigurations": []any{assertions.Match_ObjectLike(&map[string]any{"LogType": "slow-log", "LogFormat": "json"})},
			},
			"DeletionPolicy": "Retain",
		})
		tmpl.HasResourceProperties(jsii.String("AWS::ElastiCache::SubnetGroup"), map[string]any{
			"SubnetIds": assertions.Match_ArrayWith(&[]any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^VpcIsolatedSubnet1"))}}),
		})
		tmpl.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), map[string]any{
			"GenerateSecretString": map[string]any{"SecretStringTemplate": "{}", "GenerateStringKey": PasswordField, "ExcludePunctuation": true, "PasswordLength": 64},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), map[string]any{
			"SecretString": map[string]any{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{
				`{"url":"rediss://:{{resolve:secretsmanager:`,
				map[string]any{"Fn::GetAtt": []any{"CacheReplicationGroupBFE59FF3", "PrimaryEndPoint.Address"}},
			})}},
		})
		tmpl.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{
			"Properties": map[string]any{"RetentionInDays": 30}, "DeletionPolicy": "Retain",
		})
		tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]any{
			"FromPort": Port, "ToPort": Port, "GroupId": map[string]any{"Fn::GetAtt": []any{"CacheSecurityGroup79A9F160", "GroupId"}},
		})
	})
	if got := fmt.Sprint(c.NodeIDs()); got != "[shop-dev-001]" {
		t.Errorf("NodeIDs %s", got)
	}
}

// A primary and a replica: automatic failover and Multi-AZ, each node named
// as ElastiCache names it; Redis OSS with its default version; destroyed
// with the stack.
func TestSynthReplica(t *testing.T) {
	stack := stacks.Stack(t)
	c, err := New(stack, "Cache", &Props{Vpc: newVpc(stack), Subnets: isolated, Name: "shop", Engine: RedisOSS,
		Nodes: 2, SnapshotRetentionDays: 7, RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.HasResource(jsii.String("AWS::ElastiCache::ReplicationGroup"), map[string]any{
			"Properties": map[string]any{
				"Engine": "redis", "EngineVersion": "7.1", "NumCacheClusters": 2,
				"AutomaticFailoverEnabled": true, "MultiAZEnabled": true, "SnapshotRetentionLimit": 7,
			},
			"DeletionPolicy": "Delete",
		})
		tmpl.HasResource(jsii.String("AWS::SecretsManager::Secret"), map[string]any{"DeletionPolicy": "Delete"})
	})
	if got := fmt.Sprint(c.NodeIDs()); got != "[shop-001 shop-002]" {
		t.Errorf("NodeIDs %s", got)
	}
}

// Cluster mode: two shards by default, each a primary and a replica, the
// cluster-mode parameter group, and clients sent to the configuration
// endpoint.
func TestSynthClusterMode(t *testing.T) {
	stack := stacks.Stack(t)
	c, err := New(stack, "Cache", &Props{Vpc: newVpc(stack), Subnets: isolated, Name: "shop", ClusterMode: true, Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.HasResourceProperties(jsii.String("AWS::ElastiCache::ReplicationGroup"), map[string]any{
			"ClusterMode": "enabled", "NumNodeGroups": 2, "ReplicasPerNodeGroup": 1,
			"CacheParameterGroupName": "default.valkey8.cluster.on", "AutomaticFailoverEnabled": true,
			"NumCacheClusters": assertions.Match_Absent(),
		})
		tmpl.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), map[string]any{
			"SecretString": map[string]any{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{
				map[string]any{"Fn::GetAtt": []any{"CacheReplicationGroupBFE59FF3", "ConfigurationEndPoint.Address"}},
			})}},
		})
	})
	if got := fmt.Sprint(stack.Resolve(c.Host())); got != "map[Fn::GetAtt:[CacheReplicationGroupBFE59FF3 ConfigurationEndPoint.Address]]" {
		t.Errorf("Host %s", got)
	}
	if got := fmt.Sprint(c.NodeIDs()); got != "[shop-0001-001 shop-0001-002 shop-0002-001 shop-0002-002]" {
		t.Errorf("NodeIDs %s", got)
	}
}

// A Cache is a construct: tags given to it reach its resources, and the
// logical IDs are those of the stacks' golden files.
func TestIsConstruct(t *testing.T) {
	stack := stacks.Stack(t)
	c, err := New(stack, "Cache", &Props{Vpc: newVpc(stack), Subnets: isolated, Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	awscdk.Tags_Of(c).Add(jsii.String("team"), jsii.String("platform"), nil)
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.HasResourceProperties(jsii.String("AWS::ElastiCache::ReplicationGroup"), map[string]any{
			"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "team", "Value": "platform"}}),
		})
	})
	for typ, id := range map[string]string{
		"AWS::ElastiCache::ReplicationGroup": "CacheReplicationGroupBFE59FF3", "AWS::ElastiCache::SubnetGroup": "CacheSubnets75A36213",
		"AWS::EC2::SecurityGroup": "CacheSecurityGroup79A9F160", "AWS::Logs::LogGroup": "CacheSlowLog43E55961",
	} {
		if _, ok := (*tmpl.FindResources(jsii.String(typ), nil))[id]; !ok {
			t.Errorf("no %s with logical ID %s", typ, id)
		}
	}
	secrets := *tmpl.FindResources(jsii.String("AWS::SecretsManager::Secret"), nil)
	for _, id := range []string{"CacheAuthToken04672416", "CacheUrl61419F6D"} {
		if _, ok := secrets[id]; !ok {
			t.Errorf("no secret with logical ID %s", id)
		}
	}
}

var isolated = &awsec2.SubnetSelection{SubnetGroupName: jsii.String("Isolated")}

// newVpc returns a two-zone VPC with public and isolated subnets.
func newVpc(stack awscdk.Stack) awsec2.IVpc {
	return awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		AvailabilityZones: jsii.Strings("us-east-1a", "us-east-1b"),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC},
			{Name: jsii.String("Isolated"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		},
	})
}
