package celerybeat

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/djangocdk/djangocdk/constructs/apptask"
)

type placeholderCluster struct{ awsecs.ICluster }

func TestDefaults(t *testing.T) {
	p, err := (&Props{Cluster: placeholderCluster{}}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Task.Command, " "); got != "celery -A config.celery_app beat --loglevel=INFO --schedule=/tmp/celerybeat-schedule" || p.Task.Cpu != 256 || p.Task.MemoryMiB != 512 {
		t.Errorf("defaults %+v", p)
	}
	if _, err := (&Props{}).withDefaults(); err == nil || err.Error() != "celerybeat.Props.Cluster: required" {
		t.Errorf("error %v", err)
	}
	// A read-only root without /tmp leaves the schedule nowhere to go.
	_, err = (&Props{Cluster: placeholderCluster{}, Task: apptask.Props{WritablePaths: []string{"/var/run/beat"}}}).withDefaults()
	if err == nil || !strings.HasPrefix(err.Error(), `celerybeat.Props.Task.WritablePaths: ["/var/run/beat"] lacks /tmp`) {
		t.Errorf("error %v", err)
	}
	if _, err := (&Props{Cluster: placeholderCluster{}, Task: apptask.Props{WritablePaths: []string{}, WritableRootFilesystem: true}}).withDefaults(); err != nil {
		t.Errorf("writable root: %v", err)
	}
}
