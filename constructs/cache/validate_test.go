package cache

import (
	"testing"

	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
)

// Validate reports the value fields, each as a field of Props, and leaves
// the wiring (Vpc, Subnets, Name) to New.
func TestValidate(t *testing.T) {
	if err := (&Props{}).Validate(); err != nil {
		t.Errorf("the defaults: %v", err)
	}
	cases := map[string]struct {
		props Props
		field string
		want  string
	}{
		"engine":    {Props{Engine: "memcached"}, "Engine", `cache.Props.Engine: "memcached" is not an engine; use "valkey" or "redis"`},
		"node type": {Props{NodeType: "t4g.micro"}, "NodeType", `cache.Props.NodeType: "t4g.micro" is not an ElastiCache node type such as cache.t4g.micro`},
		"nodes":     {Props{Nodes: 7}, "Nodes", "cache.Props.Nodes: 7 is outside 1 to 6 (a primary and up to 5 replicas)"},
		"shards":    {Props{Shards: 3}, "Shards", "cache.Props.Shards: 3 shards need cluster mode; without it use 1"},
		"snapshots": {Props{SnapshotRetentionDays: 36}, "SnapshotRetentionDays", "cache.Props.SnapshotRetentionDays: 36 is outside 0 (off) to 35"},
	}
	for name, c := range cases {
		err := c.props.Validate()
		fields := propserr.Fields(err)
		if err == nil || err.Error() != c.want || len(fields) != 1 || fields[0].Field != c.field {
			t.Errorf("%s: Validate = %v, want %q on %s", name, err, c.want, c.field)
		}
	}
}
