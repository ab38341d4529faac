package celeryworker

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
)

type placeholderCluster struct{ awsecs.ICluster }
type placeholderMetric struct{ awscloudwatch.IMetric }

func TestDefaults(t *testing.T) {
	p, err := (&Props{Cluster: placeholderCluster{}, Queue: "emails", Concurrency: 8, BacklogPerTask: placeholderMetric{}}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Task.Command, " "); got != "celery -A config.celery_app worker --loglevel=INFO --queues=emails --concurrency=8 --hostname=emails@%h" {
		t.Errorf("command %s", got)
	}
	if p.Task.StopTimeoutSeconds != 120 || p.TargetBacklogPerTask != 16 || p.MinTasks != 1 || p.MaxTasks != 4 {
		t.Errorf("defaults %+v", p)
	}
}

func TestNewRejectsInvalidProps(t *testing.T) {
	base := Props{Cluster: placeholderCluster{}, Queue: "celery", BacklogPerTask: placeholderMetric{}}
	cases := map[string]struct {
		edit func(*Props)
		want string
	}{
		"queue":     {func(p *Props) { p.Queue = "bad queue" }, `celeryworker.Props.Queue: "bad queue" is not a queue name`},
		"no metric": {func(p *Props) { p.BacklogPerTask = nil }, "celeryworker.Props.BacklogPerTask: required"},
		"bounds":    {func(p *Props) { p.MinTasks, p.MaxTasks = 3, 2 }, "celeryworker.Props.MinTasks, MaxTasks: 3 and 2"},
		"cluster":   {func(p *Props) { p.Cluster = nil }, "celeryworker.Props.Cluster: required"},
	}
	for name, c := range cases {
		p := base
		c.edit(&p)
		if _, err := New(nil, "Worker", &p); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %s...", name, err, c.want)
		}
	}
}
