package djangoweb

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/djangocdk/djangocdk/constructs/apptask"
)

// placeholderCluster satisfies awsecs.ICluster; validation never calls it.
type placeholderCluster struct{ awsecs.ICluster }

// placeholderImage satisfies awsecs.ContainerImage; validation never calls it.
type placeholderImage struct{ awsecs.ContainerImage }

func valid() Timeouts {
	return Timeouts{RequestBudget: 30, GunicornTimeout: 60, GunicornKeepalive: 75, GunicornGracefulTimeout: 30,
		IdleTimeout: 65, DeregistrationDelay: 30, StopTimeout: 45}
}

func TestCheckTimeouts(t *testing.T) {
	name := func(f string) string { return f }
	if problems := CheckTimeouts(valid(), name); len(problems) != 0 {
		t.Fatalf("the defaults break rules: %v", problems)
	}
	cases := map[string]struct {
		edit func(*Timeouts)
		want string
	}{
		"idle":         {func(t *Timeouts) { t.IdleTimeout = 60 }, "IdleTimeout (60 s) must be greater than GunicornTimeout (60 s)"},
		"gunicorn":     {func(t *Timeouts) { t.GunicornTimeout = 30 }, "GunicornTimeout (30 s) must be greater than RequestBudget (30 s)"},
		"keepalive":    {func(t *Timeouts) { t.GunicornKeepalive = 65 }, "GunicornKeepalive (65 s) must be greater than IdleTimeout (65 s)"},
		"deregister":   {func(t *Timeouts) { t.DeregistrationDelay = 29 }, "DeregistrationDelay (29 s) must be at least RequestBudget (30 s)"},
		"graceful":     {func(t *Timeouts) { t.GunicornGracefulTimeout = 20 }, "GunicornGracefulTimeout (20 s) must be at least RequestBudget (30 s)"},
		"stop timeout": {func(t *Timeouts) { t.StopTimeout = 30 }, "StopTimeout (30 s) must be greater than GunicornGracefulTimeout (30 s)"},
	}
	for label, c := range cases {
		tm := valid()
		c.edit(&tm)
		problems := CheckTimeouts(tm, name)
		if len(problems) != 1 || !strings.HasPrefix(problems[0], c.want) {
			t.Errorf("%s: %v, want one problem %q...", label, problems, c.want)
		}
	}
}

func TestPropsNameFieldsInErrors(t *testing.T) {
	image := apptask.Props{Image: placeholderImage{}}
	_, err := New(nil, "Web", &Props{Task: image})
	if err == nil || err.Error() != "Web: djangoweb.Props.Cluster: required" {
		t.Errorf("error %v", err)
	}
	_, err = New(nil, "Web", &Props{Cluster: placeholderCluster{}, Task: image, IdleTimeoutSeconds: 50})
	if err == nil || !strings.HasPrefix(err.Error(), "Web: djangoweb.Props.IdleTimeoutSeconds (50 s) must be greater than djangoweb.Props.Gunicorn.TimeoutSeconds (60 s)") {
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
		"Web: djangoweb.Props.MinTasks, MaxTasks: 3 and 2; need 1 <= MinTasks <= MaxTasks",
		"Web: djangoweb.Props.HealthCheckGraceSeconds: -1 is outside 0 to 3600",
		"Web: djangoweb.Props.Gunicorn.TimeoutSeconds (20 s) must be greater than djangoweb.Props.RequestBudgetSeconds (30 s): otherwise gunicorn kills workers serving legitimate slow requests",
		"Web: djangoweb.Props.Task.Image: required",
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
