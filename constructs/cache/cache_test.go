package cache

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
)

// placeholderVpc satisfies awsec2.IVpc; validation never calls it.
type placeholderVpc struct{ awsec2.IVpc }

func TestNewRejectsInvalidProps(t *testing.T) {
	valid := func() Props {
		return Props{Vpc: placeholderVpc{}, Subnets: &awsec2.SubnetSelection{SubnetGroupName: jsii.String("Isolated")}, Name: "app-dev"}
	}
	cases := []struct {
		name string
		edit func(*Props)
		want string
	}{
		{"engine", func(p *Props) { p.Engine = "memcached" }, `cache.Props.Engine: "memcached" is not an engine; use "valkey" or "redis"`},
		{"name", func(p *Props) { p.Name = "App" }, `cache.Props.Name: "App" is not a replication group id`},
		{"version", func(p *Props) { p.EngineVersion = "8" }, `cache.Props.EngineVersion: "8" is not a MAJOR.MINOR version`},
		{"node type", func(p *Props) { p.NodeType = "m7g.large" }, `cache.Props.NodeType: "m7g.large" is not an ElastiCache node type`},
		{"nodes", func(p *Props) { p.Nodes = 7 }, `cache.Props.Nodes: 7 is outside 1 to 6`},
		{"shards without cluster mode", func(p *Props) { p.Shards = 2 }, `cache.Props.Shards: 2 shards need ClusterMode`},
		{"snapshots", func(p *Props) { p.SnapshotRetentionDays = 36 }, `cache.Props.SnapshotRetentionDays: 36 is outside 0 (off) to 35`},
		{"no vpc", func(p *Props) { p.Vpc = nil }, `cache.Props.Vpc: required`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := valid()
			c.edit(&p)
			_, err := New(nil, "Cache", &p)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("error %v, want %s...", err, c.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	p := Props{Vpc: placeholderVpc{}, Subnets: &awsec2.SubnetSelection{}, Name: "app", ClusterMode: true}
	got, err := p.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got.Engine != Valkey || got.EngineVersion != "8.0" || got.NodeType != "cache.t4g.micro" || got.Nodes != 1 || got.Shards != 2 {
		t.Errorf("defaults %+v", got)
	}
}
