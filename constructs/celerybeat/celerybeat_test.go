package celerybeat

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
)

type placeholderCluster struct{ awsecs.ICluster }

func TestDefaults(t *testing.T) {
	p, err := (&Props{Cluster: placeholderCluster{}}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Task.Command, " "); got != "celery -A config.celery_app beat --loglevel=INFO" || p.Task.Cpu != 256 || p.Task.MemoryMiB != 512 {
		t.Errorf("defaults %+v", p)
	}
	if _, err := (&Props{}).withDefaults(); err == nil || err.Error() != "celerybeat.Props.Cluster: required" {
		t.Errorf("error %v", err)
	}
}
