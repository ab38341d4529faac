package monitoring

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
)

type placeholderTopic struct{ awssns.ITopic }

func TestPropsValidation(t *testing.T) {
	for props, want := range map[*Props]string{
		{}:                          "monitoring.Props.Topic: required",
		{Topic: placeholderTopic{}}: "monitoring.Props.Name: required",
		{Topic: placeholderTopic{}, Name: "shop"}: "monitoring.Props: LoadBalancerFullName, TargetGroupFullName and ClusterName are required",
	} {
		if _, err := New(nil, "Monitoring", props); err == nil || err.Error() != want {
			t.Errorf("error %v, want %s", err, want)
		}
	}
}

func TestDefaultThresholds(t *testing.T) {
	p, _ := (&Props{}).withDefaults()
	if p.Thresholds.QueueAgeSeconds != 600 || p.Thresholds.LatencyP99Seconds != 3 || p.Thresholds.DatabaseConnectionsPct != 80 {
		t.Errorf("defaults %+v", p.Thresholds)
	}
}
