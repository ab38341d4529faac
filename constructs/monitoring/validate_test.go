package monitoring

import (
	"strings"
	"testing"
)

func TestThresholdsValidate(t *testing.T) {
	if err := (Thresholds{}).Validate(); err != nil {
		t.Errorf("the defaults: %v", err)
	}
	for _, c := range []struct {
		name string
		t    Thresholds
		want string
	}{
		{"percentage over 100", Thresholds{DatabaseConnectionsPct: 120}, "monitoring.Props.Thresholds.DatabaseConnectionsPct: 120 is not a percentage between 0 and 100"},
		{"negative percentage", Thresholds{CacheCpuPercent: -1}, "monitoring.Props.Thresholds.CacheCpuPercent: -1 is not a percentage between 0 and 100"},
		{"negative depth", Thresholds{QueueDepth: -3}, "monitoring.Props.Thresholds.QueueDepth: -3 is not above 0"},
		{"p99 below p95", Thresholds{LatencyP95Seconds: 2, LatencyP99Seconds: 1.5}, "monitoring.Props.Thresholds.LatencyP99Seconds: 1.5 is below the p95 latency threshold (2)"},
		{"p99 below the default p95", Thresholds{LatencyP99Seconds: 0.5}, "LatencyP99Seconds: 0.5 is below the p95 latency threshold (1)"},
	} {
		err := c.t.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
