package djangoweb

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
)

// Defaults of Props that other code may need to know.
const (
	// DefaultHealthCheckGraceSeconds is the grace period when
	// Props.HealthCheckGraceSeconds is nil.
	DefaultHealthCheckGraceSeconds = 60
	// DefaultTarget5xxPerMinute is DeploymentAlarms.Target5xxPerMinute when nil.
	DefaultTarget5xxPerMinute = 10.0
	// MaxTasksLimit is the most tasks MinTasks and MaxTasks may ask for.
	MaxTasksLimit = 1000
)

// HealthCheck is the target group's health check. A rolling deploy's
// critical path is a new task judged healthy (about IntervalSeconds ×
// HealthyThreshold after it registers) and then the old one drained
// (DeregistrationDelaySeconds): see Props.RolloutSeconds.
type HealthCheck struct {
	// IntervalSeconds between two checks of a target. Default: 5, the
	// load balancer's minimum (for a RequestBudgetSeconds above 50, the
	// least that lets UnhealthyThreshold cover the budget).
	IntervalSeconds int
	// TimeoutSeconds a check waits for the answer; less than
	// IntervalSeconds. Default: 4.
	TimeoutSeconds int
	// HealthyThreshold consecutive passes make a new target healthy.
	// Default: 2, the load balancer's minimum.
	HealthyThreshold int
	// UnhealthyThreshold consecutive failures make a target unhealthy;
	// IntervalSeconds × UnhealthyThreshold must cover RequestBudgetSeconds,
	// so that a task whose workers are all busy with legitimate slow
	// requests is not replaced. Default: the least that covers it, at
	// least 2 (6 for the default budget of 30 s).
	UnhealthyThreshold int
}

// Health check limits of an Application Load Balancer's target group.
const (
	MinHealthCheckIntervalSeconds = 5
	MaxHealthCheckIntervalSeconds = 300
	MinHealthCheckThreshold       = 2
	MaxHealthCheckThreshold       = 10
)

// RolloutSeconds is the critical path of a rolling deploy of the web
// service once the new task is running: the load balancer judges it
// healthy after HealthCheck.IntervalSeconds × HealthCheck.HealthyThreshold,
// then ECS deregisters the old task, which drains for
// DeregistrationDelaySeconds (at least RequestBudgetSeconds, so that no
// request in flight is cut). With the defaults, 5 × 2 + 30 = 40 s.
func (props *Props) RolloutSeconds() int {
	p := props.withDefaults()
	return p.HealthCheck.IntervalSeconds*p.HealthCheck.HealthyThreshold + p.DeregistrationDelaySeconds
}

// Validate applies the defaults and checks every field a caller sets from
// plain values, the nested Task's (but its Image) included, and the order
// of the timeouts. It leaves out what only a stack can supply (Cluster,
// Task.Image, DeploymentAlarms.NamePrefix, OriginHeader and its values),
// which New checks too. Each problem is a *propserr.FieldError whose Field
// is relative to Props ("Gunicorn.Workers"); a broken timeout order is one
// on the first of the two fields, wrapping an *OrderError.
func (props *Props) Validate() error {
	p := props.withDefaults()
	return errors.Join(p.valueProblems()...)
}

// OrderError is a timeout that breaks the order the timeouts must keep for
// requests to survive timeouts and deploys.
type OrderError struct {
	// Field and Other are the two Props fields, such as "IdleTimeoutSeconds"
	// and "Gunicorn.TimeoutSeconds"; Value and OtherValue their seconds.
	Field, Other      string
	Value, OtherValue int
	// Relation is "greater than" or "at least".
	Relation string
	// Why says what goes wrong otherwise.
	Why string
}

// Error renders the rule with the Props field names.
func (e *OrderError) Error() string {
	return fmt.Sprintf("%d s must be %s %s (%d s): %s", e.Value, e.Relation, e.Other, e.OtherValue, e.Why)
}

func (props *Props) withDefaults() Props {
	var p Props
	if props != nil {
		p = *props
	}
	defaults := []struct {
		field *int
		value int
	}{
		{&p.Gunicorn.Workers, 3}, {&p.Gunicorn.Threads, 4}, {&p.Gunicorn.TimeoutSeconds, 60},
		{&p.Gunicorn.KeepaliveSeconds, 75}, {&p.Gunicorn.GracefulTimeoutSeconds, 30},
		{&p.MinTasks, 2}, {&p.MaxTasks, 4}, {&p.RequestBudgetSeconds, 30},
		{&p.IdleTimeoutSeconds, 65}, {&p.DeregistrationDelaySeconds, 30}, {&p.CpuTargetPercent, 60},
		{&p.RequestsPerTarget, 1000}, {&p.Task.Port, 8000},
	}
	for _, d := range defaults {
		if *d.field == 0 {
			*d.field = d.value
		}
	}
	h := &p.HealthCheck
	if h.IntervalSeconds == 0 {
		// The shortest interval whose largest threshold covers the budget.
		h.IntervalSeconds = max(MinHealthCheckIntervalSeconds, (p.RequestBudgetSeconds+MaxHealthCheckThreshold-1)/MaxHealthCheckThreshold)
	}
	if h.TimeoutSeconds == 0 {
		h.TimeoutSeconds = min(4, h.IntervalSeconds-1)
	}
	if h.HealthyThreshold == 0 {
		h.HealthyThreshold = MinHealthCheckThreshold
	}
	if h.UnhealthyThreshold == 0 && h.IntervalSeconds > 0 {
		h.UnhealthyThreshold = max(MinHealthCheckThreshold, (p.RequestBudgetSeconds+h.IntervalSeconds-1)/h.IntervalSeconds)
	}
	if p.HealthCheckGraceSeconds == nil {
		grace := DefaultHealthCheckGraceSeconds
		p.HealthCheckGraceSeconds = &grace
	}
	if p.Task.StopTimeoutSeconds == 0 {
		p.Task.StopTimeoutSeconds = p.Gunicorn.GracefulTimeoutSeconds + 15
	}
	if len(p.Task.Command) == 0 {
		p.Task.Command = []string{"gunicorn", "config.wsgi:application"}
	}
	if d := p.DeploymentAlarms; d != nil {
		alarms := *d
		if alarms.Target5xxPerMinute == nil {
			target := DefaultTarget5xxPerMinute
			alarms.Target5xxPerMinute = &target
		}
		if alarms.LatencyP95Seconds == 0 {
			alarms.LatencyP95Seconds = 2
		}
		p.DeploymentAlarms = &alarms
	}
	if p.HealthCheckPath == "" {
		p.HealthCheckPath = "/healthz"
	}
	if p.TaskSubnets == nil {
		p.TaskSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}
	}
	return p
}

// wiringProblems lists the invalid fields that only a stack can supply.
func (p *Props) wiringProblems() []error {
	var l propserr.List
	if p.Cluster == nil {
		l.Add("djangoweb.Props.Cluster", "required")
	}
	if p.DeploymentAlarms != nil && p.DeploymentAlarms.NamePrefix == "" {
		l.Add("djangoweb.Props.DeploymentAlarms.NamePrefix", "required")
	}
	if (p.OriginHeader == "") != (len(p.OriginHeaderValues) == 0) {
		l.Add("djangoweb.Props.OriginHeader, OriginHeaderValues", "set both or neither")
	}
	if len(p.OriginHeaderValues) > MaxOriginHeaderValues {
		l.Add("djangoweb.Props.OriginHeaderValues", "%d values; a listener rule takes at most %d", len(p.OriginHeaderValues), MaxOriginHeaderValues)
	}
	if p.Task.Image == nil {
		l.Add("djangoweb.Props.Task.Image", "required")
	}
	return l
}

// valueProblems lists every other invalid field of p (defaults applied).
func (p *Props) valueProblems() []error {
	var l propserr.List
	if p.MinTasks < 1 || p.MinTasks > MaxTasksLimit {
		l.Add("djangoweb.Props.MinTasks", "%d is outside 1 to %d", p.MinTasks, MaxTasksLimit)
	}
	if p.MaxTasks < p.MinTasks || p.MaxTasks > MaxTasksLimit {
		l.Add("djangoweb.Props.MaxTasks", "%d is outside MinTasks (%d) to %d", p.MaxTasks, p.MinTasks, MaxTasksLimit)
	}
	if !strings.HasPrefix(p.HealthCheckPath, "/") {
		l.Add("djangoweb.Props.HealthCheckPath", "%q does not start with /", p.HealthCheckPath)
	}
	if g := *p.HealthCheckGraceSeconds; g < 0 || g > 3600 {
		l.Add("djangoweb.Props.HealthCheckGraceSeconds", "%d is outside 0 to 3600", g)
	}
	if p.RequestBudgetSeconds < 1 || p.RequestBudgetSeconds > 3600 {
		l.Add("djangoweb.Props.RequestBudgetSeconds", "%d is outside 1 to 3600 (seconds the slowest legitimate request takes)", p.RequestBudgetSeconds)
	}
	if p.IdleTimeoutSeconds < 1 || p.IdleTimeoutSeconds > 4000 {
		l.Add("djangoweb.Props.IdleTimeoutSeconds", "%d is outside the load balancer's 1 to 4000", p.IdleTimeoutSeconds)
	}
	if p.DeregistrationDelaySeconds < 0 || p.DeregistrationDelaySeconds > 3600 {
		l.Add("djangoweb.Props.DeregistrationDelaySeconds", "%d is outside 0 to 3600", p.DeregistrationDelaySeconds)
	}
	if h := p.HealthCheck; h.IntervalSeconds < MinHealthCheckIntervalSeconds || h.IntervalSeconds > MaxHealthCheckIntervalSeconds {
		l.Add("djangoweb.Props.HealthCheck.IntervalSeconds", "%d is outside the load balancer's %d to %d", h.IntervalSeconds, MinHealthCheckIntervalSeconds, MaxHealthCheckIntervalSeconds)
	}
	if h := p.HealthCheck; h.TimeoutSeconds < 2 || h.TimeoutSeconds >= h.IntervalSeconds {
		l.Add("djangoweb.Props.HealthCheck.TimeoutSeconds", "%d is outside 2 to IntervalSeconds - 1 (%d)", h.TimeoutSeconds, h.IntervalSeconds-1)
	}
	for _, t := range []struct {
		field string
		value int
	}{{"HealthyThreshold", p.HealthCheck.HealthyThreshold}, {"UnhealthyThreshold", p.HealthCheck.UnhealthyThreshold}} {
		if t.value < MinHealthCheckThreshold || t.value > MaxHealthCheckThreshold {
			l.Add("djangoweb.Props.HealthCheck."+t.field, "%d is outside the load balancer's %d to %d", t.value, MinHealthCheckThreshold, MaxHealthCheckThreshold)
		}
	}
	if p.Task.Port < 1024 || p.Task.Port > 65535 {
		l.Add("djangoweb.Props.Task.Port", "%d is outside 1024 to 65535 (an unprivileged port: the image runs as a non-root user)", p.Task.Port)
	}
	if p.CpuTargetPercent < 10 || p.CpuTargetPercent > 90 {
		l.Add("djangoweb.Props.CpuTargetPercent", "%d is outside 10 to 90 (percent)", p.CpuTargetPercent)
	}
	if p.RequestsPerTarget < 1 || p.RequestsPerTarget > 1000000 {
		l.Add("djangoweb.Props.RequestsPerTarget", "%d is outside 1 to 1000000 (requests per task per minute)", p.RequestsPerTarget)
	}
	if g := p.Gunicorn; g.Workers < 1 || g.Workers > 64 {
		l.Add("djangoweb.Props.Gunicorn.Workers", "%d is outside 1 to 64 (processes per task)", g.Workers)
	}
	if g := p.Gunicorn; g.Threads < 1 || g.Threads > 64 {
		l.Add("djangoweb.Props.Gunicorn.Threads", "%d is outside 1 to 64 (threads per worker)", g.Threads)
	}
	if d := p.DeploymentAlarms; d != nil {
		if *d.Target5xxPerMinute < 0 {
			l.Add("djangoweb.Props.DeploymentAlarms.Target5xxPerMinute", "%g is negative; 0 fails a deployment on the first 5xx", *d.Target5xxPerMinute)
		}
		if d.LatencyP95Seconds <= 0 {
			l.Add("djangoweb.Props.DeploymentAlarms.LatencyP95Seconds", "%g is not above 0", d.LatencyP95Seconds)
		}
	}
	l = append(l, p.timeoutProblems()...)
	return append(l, apptask.ValueProblems(&p.Task, "djangoweb.Props.Task")...)
}

// timeoutProblems checks the order of the timeouts, one problem per rule
// broken.
func (p *Props) timeoutProblems() []error {
	var l propserr.List
	rule := func(ok bool, a string, av int, b string, bv int, relation, why string) {
		if !ok {
			l.Check("djangoweb.Props."+a, &OrderError{Field: a, Value: av, Other: b, OtherValue: bv, Relation: relation, Why: why})
		}
	}
	g := p.Gunicorn
	rule(p.IdleTimeoutSeconds > g.TimeoutSeconds, "IdleTimeoutSeconds", p.IdleTimeoutSeconds, "Gunicorn.TimeoutSeconds", g.TimeoutSeconds,
		"greater than", "otherwise the load balancer gives up on responses gunicorn is still producing (504s)")
	rule(g.TimeoutSeconds > p.RequestBudgetSeconds, "Gunicorn.TimeoutSeconds", g.TimeoutSeconds, "RequestBudgetSeconds", p.RequestBudgetSeconds,
		"greater than", "otherwise gunicorn kills workers serving legitimate slow requests")
	rule(g.KeepaliveSeconds > p.IdleTimeoutSeconds, "Gunicorn.KeepaliveSeconds", g.KeepaliveSeconds, "IdleTimeoutSeconds", p.IdleTimeoutSeconds,
		"greater than", "otherwise gunicorn closes connections the load balancer still reuses (sporadic 502s)")
	rule(p.DeregistrationDelaySeconds >= p.RequestBudgetSeconds, "DeregistrationDelaySeconds", p.DeregistrationDelaySeconds, "RequestBudgetSeconds", p.RequestBudgetSeconds,
		"at least", "otherwise requests in flight are cut when a task leaves the load balancer during a deploy")
	h := p.HealthCheck
	rule(h.IntervalSeconds*h.UnhealthyThreshold >= p.RequestBudgetSeconds, "HealthCheck.UnhealthyThreshold", h.IntervalSeconds*h.UnhealthyThreshold,
		"RequestBudgetSeconds", p.RequestBudgetSeconds, "at least",
		"IntervalSeconds × UnhealthyThreshold is how long a task may fail its health checks; otherwise a task whose workers are all busy with legitimate slow requests is replaced")
	rule(g.GracefulTimeoutSeconds >= p.RequestBudgetSeconds, "Gunicorn.GracefulTimeoutSeconds", g.GracefulTimeoutSeconds, "RequestBudgetSeconds", p.RequestBudgetSeconds,
		"at least", "otherwise requests in flight at SIGTERM are killed")
	rule(p.Task.StopTimeoutSeconds > g.GracefulTimeoutSeconds, "Task.StopTimeoutSeconds", p.Task.StopTimeoutSeconds, "Gunicorn.GracefulTimeoutSeconds", g.GracefulTimeoutSeconds,
		"greater than", "otherwise ECS sends SIGKILL before gunicorn's graceful shutdown ends")
	return l
}
