package stacks

import (
	"reflect"
	"testing"

	_ "github.com/djangocdk/djangocdk/internal/fastnode" // jsii's runtime from .build: none left in TMPDIR
)

// TestProcesses checks that the processes are described once, from config:
// the order every stack derives from, the kinds that get a security group,
// and the names under which each service is shared.
func TestProcesses(t *testing.T) {
	cfg := &Config{Compute: ComputeConfig{
		Web:    WebConfig{Cpu: 512, MemoryMiB: 1024},
		Beat:   TaskConfig{Cpu: 256, MemoryMiB: 512},
		Queues: []QueueConfig{{Name: "celery", Cpu: 1024}, {Name: "high-priority", Cpu: 2048}},
		Jobs:   []JobConfig{{Name: "clearsessions", Command: []string{"python", "manage.py", "clearsessions"}}},
	}}
	var names, keys []string
	for _, p := range cfg.Processes() {
		names = append(names, p.Name)
		if p.Service() {
			keys = append(keys, ServiceNameKey(p.Name))
		}
	}
	if want := []string{"web", "beat", "worker-celery", "worker-high-priority", "migrate", "job-clearsessions"}; !reflect.DeepEqual(names, want) {
		t.Errorf("processes %v, want %v", names, want)
	}
	if want := []string{"WebServiceName", "BeatServiceName", "WorkerCeleryServiceName", "WorkerHighPriorityServiceName"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("shared keys %v, want %v", keys, want)
	}
	if got := len(cfg.services()); got != 4 {
		t.Errorf("%d services, want 4 (the migration is a one-off task)", got)
	}
	var groups []string
	for _, k := range cfg.processKinds() {
		groups = append(groups, k.groupID())
	}
	// The Data stack's logical IDs: renaming one replaces a security group
	// that running tasks hold.
	if want := []string{"WebTasks", "BeatTasks", "WorkerTasks", "MigrationTasks", "JobTasks"}; !reflect.DeepEqual(groups, want) {
		t.Errorf("task groups %v, want %v", groups, want)
	}
	if p := cfg.Processes()[3]; p.Queue != "high-priority" || p.Task.Cpu != 2048 || p.Kind != WorkerKind {
		t.Errorf("worker process %+v does not carry its queue's settings", p)
	}
	if tr := cfg.Processes()[4].tracingService(); tr != "" {
		t.Errorf("the migration is traced as %q; one-off tasks carry no collector", tr)
	}
	if job := cfg.Processes()[5]; job.Service() || job.Job != "clearsessions" {
		t.Errorf("job process %+v: a scheduled job is a one-off task of its job", job)
	}
}
