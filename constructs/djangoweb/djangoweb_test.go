package djangoweb

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
)

// placeholderCluster satisfies awsecs.ICluster; validation never calls it.
type placeholderCluster struct{ awsecs.ICluster }

// placeholderImage satisfies awsecs.ContainerImage; validation never calls it.
type placeholderImage struct{ awsecs.ContainerImage }

func TestTimeoutOrder(t *testing.T) {
	if err := (&Props{}).Validate(); err != nil {
		t.Fatalf("the defaults break rules: %v", err)
	}
	cases := map[string]struct {
		edit  func(*Props)
		field string
		want  string
	}{
		"idle":         {func(p *Props) { p.IdleTimeoutSeconds = 60 }, "IdleTimeoutSeconds", "60 s must be greater than Gunicorn.TimeoutSeconds (60 s)"},
		"gunicorn":     {func(p *Props) { p.Gunicorn.TimeoutSeconds = 30 }, "Gunicorn.TimeoutSeconds", "30 s must be greater than RequestBudgetSeconds (30 s)"},
		"keepalive":    {func(p *Props) { p.Gunicorn.KeepaliveSeconds = 65 }, "Gunicorn.KeepaliveSeconds", "65 s must be greater than IdleTimeoutSeconds (65 s)"},
		"deregister":   {func(p *Props) { p.DeregistrationDelaySeconds = 29 }, "DeregistrationDelaySeconds", "29 s must be at least RequestBudgetSeconds (30 s)"},
		"graceful":     {func(p *Props) { p.Gunicorn.GracefulTimeoutSeconds = 20; p.Task.StopTimeoutSeconds = 45 }, "Gunicorn.GracefulTimeoutSeconds", "20 s must be at least RequestBudgetSeconds (30 s)"},
		"stop timeout": {func(p *Props) { p.Task.StopTimeoutSeconds = 30 }, "Task.StopTimeoutSeconds", "30 s must be greater than Gunicorn.GracefulTimeoutSeconds (30 s)"},
		"unhealthy":    {func(p *Props) { p.HealthCheck.UnhealthyThreshold = 5 }, "HealthCheck.UnhealthyThreshold", "25 s must be at least RequestBudgetSeconds (30 s)"},
	}
	for label, c := range cases {
		var p Props
		c.edit(&p)
		fields := propserr.Fields(p.Validate())
		var order *OrderError
		if len(fields) != 1 || fields[0].Field != c.field || !errors.As(fields[0], &order) || !strings.HasPrefix(order.Error(), c.want) {
			t.Errorf("%s: %v, want one problem of %s %q...", label, fields, c.field, c.want)
		}
	}
}

// Validate reports the value fields, each as a field of Props, and leaves
// the wiring (Cluster, Task.Image) to New.
// The defaults put a rolling deploy's critical path (new task healthy,
// old task drained) within 45 s, and derive the health check from the
// request budget: interval × unhealthy threshold covers it.
func TestHealthCheckDefaults(t *testing.T) {
	cases := []struct {
		budget, deregister int
		want               HealthCheck
		rollout            int
	}{
		{0, 0, HealthCheck{IntervalSeconds: 5, TimeoutSeconds: 4, HealthyThreshold: 2, UnhealthyThreshold: 6}, 40},
		{12, 12, HealthCheck{IntervalSeconds: 5, TimeoutSeconds: 4, HealthyThreshold: 2, UnhealthyThreshold: 3}, 22},
		{90, 90, HealthCheck{IntervalSeconds: 9, TimeoutSeconds: 4, HealthyThreshold: 2, UnhealthyThreshold: 10}, 108},
	}
	for _, c := range cases {
		p := Props{RequestBudgetSeconds: c.budget, DeregistrationDelaySeconds: c.deregister, Gunicorn: Gunicorn{TimeoutSeconds: 120, GracefulTimeoutSeconds: 100}, IdleTimeoutSeconds: 121, Task: apptask.Props{StopTimeoutSeconds: 115}}
		p.Gunicorn.KeepaliveSeconds = 122
		if got := p.withDefaults().HealthCheck; got != c.want {
			t.Errorf("budget %d: health check %+v, want %+v", c.budget, got, c.want)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("budget %d: the defaults break rules: %v", c.budget, err)
		}
		if got := p.RolloutSeconds(); got != c.rollout {
			t.Errorf("budget %d: rollout %d s, want %d", c.budget, got, c.rollout)
		}
	}
	if got := (&Props{}).RolloutSeconds(); got > 45 {
		t.Errorf("the default rollout takes %d s, more than 45", got)
	}
}

func TestValidate(t *testing.T) {
	negative, zero := -1.0, 0.0
	cases := map[string]struct {
		props Props
		want  string
	}{
		"min tasks":   {Props{MinTasks: -1}, "djangoweb.Props.MinTasks: -1 is outside 1 to 1000"},
		"max tasks":   {Props{MinTasks: 3, MaxTasks: 2}, "djangoweb.Props.MaxTasks: 2 is outside MinTasks (3) to 1000"},
		"port":        {Props{Task: apptask.Props{Port: 80}}, "djangoweb.Props.Task.Port: 80 is outside 1024 to 65535 (an unprivileged port: the image runs as a non-root user)"},
		"cpu target":  {Props{CpuTargetPercent: 95}, "djangoweb.Props.CpuTargetPercent: 95 is outside 10 to 90 (percent)"},
		"requests":    {Props{RequestsPerTarget: -5}, "djangoweb.Props.RequestsPerTarget: -5 is outside 1 to 1000000 (requests per task per minute)"},
		"workers":     {Props{Gunicorn: Gunicorn{Workers: 65}}, "djangoweb.Props.Gunicorn.Workers: 65 is outside 1 to 64 (processes per task)"},
		"threads":     {Props{Gunicorn: Gunicorn{Threads: 100}}, "djangoweb.Props.Gunicorn.Threads: 100 is outside 1 to 64 (threads per worker)"},
		"budget":      {Props{RequestBudgetSeconds: -5}, "djangoweb.Props.RequestBudgetSeconds: -5 is outside 1 to 3600 (seconds the slowest legitimate request takes)"},
		"health path": {Props{HealthCheckPath: "healthz"}, `djangoweb.Props.HealthCheckPath: "healthz" does not start with /`},
		"5xx":         {Props{DeploymentAlarms: &DeploymentAlarms{Target5xxPerMinute: &negative}}, "djangoweb.Props.DeploymentAlarms.Target5xxPerMinute: -1 is negative; 0 fails a deployment on the first 5xx"},
		"interval":    {Props{HealthCheck: HealthCheck{IntervalSeconds: 4, TimeoutSeconds: 2, UnhealthyThreshold: 8}}, "djangoweb.Props.HealthCheck.IntervalSeconds: 4 is outside the load balancer's 5 to 300"},
		"hc timeout":  {Props{HealthCheck: HealthCheck{TimeoutSeconds: 5}}, "djangoweb.Props.HealthCheck.TimeoutSeconds: 5 is outside 2 to IntervalSeconds - 1 (4)"},
		"healthy":     {Props{HealthCheck: HealthCheck{HealthyThreshold: 1}}, "djangoweb.Props.HealthCheck.HealthyThreshold: 1 is outside the load balancer's 2 to 10"},
		"task size":   {Props{Task: apptask.Props{Cpu: 256, MemoryMiB: 4096}}, "djangoweb.Props.Task.Cpu, MemoryMiB: 4096 MiB of memory does not go with cpu 256 on Fargate (see the task size table)"},
	}
	for name, c := range cases {
		if err := c.props.Validate(); err == nil || err.Error() != c.want {
			t.Errorf("%s: Validate = %v, want %q", name, err, c.want)
		}
	}
	if err := (&Props{DeploymentAlarms: &DeploymentAlarms{Target5xxPerMinute: &zero}}).Validate(); err != nil {
		t.Errorf("0 5xx per minute is a valid threshold: %v", err)
	}
	p := (&Props{DeploymentAlarms: &DeploymentAlarms{Target5xxPerMinute: &zero}}).withDefaults()
	if *p.DeploymentAlarms.Target5xxPerMinute != 0 {
		t.Errorf("an explicit 0 became %g", *p.DeploymentAlarms.Target5xxPerMinute)
	}
	if p := (&Props{DeploymentAlarms: &DeploymentAlarms{}}).withDefaults(); *p.DeploymentAlarms.Target5xxPerMinute != DefaultTarget5xxPerMinute {
		t.Errorf("nil became %g", *p.DeploymentAlarms.Target5xxPerMinute)
	}
}

func TestPropsNameFieldsInErrors(t *testing.T) {
	image := apptask.Props{Image: placeholderImage{}}
	_, err := New(nil, "Web", &Props{Task: image})
	if err == nil || err.Error() != "Web: djangoweb.Props.Cluster: required" {
		t.Errorf("error %v", err)
	}
	_, err = New(nil, "Web", &Props{Cluster: placeholderCluster{}, Task: image, IdleTimeoutSeconds: 50})
	if err == nil || !strings.HasPrefix(err.Error(), "Web: djangoweb.Props.IdleTimeoutSeconds: 50 s must be greater than Gunicorn.TimeoutSeconds (60 s)") {
		t.Errorf("error %v", err)
	}
	p := (&Props{Cluster: placeholderCluster{}}).withDefaults()
	if p.Task.StopTimeoutSeconds != 45 || p.Task.Port != 8000 || p.HealthCheckPath != "/healthz" || *p.HealthCheckGraceSeconds != 60 {
		t.Errorf("defaults %+v", p)
	}
	zero := 0
	if p := (&Props{HealthCheckGraceSeconds: &zero}).withDefaults(); *p.HealthCheckGraceSeconds != 0 {
		t.Errorf("an explicit 0 became %d", *p.HealthCheckGraceSeconds)
	}
}

// Every problem at once, the nested task's named as fields of these props.
func TestNewReportsEveryProblem(t *testing.T) {
	negative := -1
	_, err := New(nil, "Web", &Props{
		MinTasks: 3, MaxTasks: 2, HealthCheckGraceSeconds: &negative,
		Gunicorn: Gunicorn{TimeoutSeconds: 20},
		Task:     apptask.Props{Cpu: 256, MemoryMiB: 4096},
	})
	want := strings.Join([]string{
		"Web: djangoweb.Props.Cluster: required",
		"Web: djangoweb.Props.Task.Image: required",
		"Web: djangoweb.Props.MaxTasks: 2 is outside MinTasks (3) to 1000",
		"Web: djangoweb.Props.HealthCheckGraceSeconds: -1 is outside 0 to 3600",
		"Web: djangoweb.Props.Gunicorn.TimeoutSeconds: 20 s must be greater than RequestBudgetSeconds (30 s): otherwise gunicorn kills workers serving legitimate slow requests",
		"Web: djangoweb.Props.Task.Cpu, MemoryMiB: 4096 MiB of memory does not go with cpu 256 on Fargate (see the task size table)",
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestGunicornEnvironment(t *testing.T) {
	p := Props{Gunicorn: Gunicorn{Workers: 3, Threads: 4, TimeoutSeconds: 60, KeepaliveSeconds: 75, GracefulTimeoutSeconds: 30}}
	p.Task.Port = 8000
	env := p.gunicornEnvironment()
	if env["GUNICORN_WORKERS"] != "3" || env["GUNICORN_KEEPALIVE"] != "75" ||
		env["GUNICORN_CMD_ARGS"] != "--bind=0.0.0.0:8000 --workers=3 --threads=4 --worker-class=gthread --timeout=60 --keep-alive=75 --graceful-timeout=30 --access-logfile=- --forwarded-allow-ips=*" {
		t.Errorf("environment %v", env)
	}
}
