package stacks

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/celeryworker"
	"github.com/djangocdk/djangocdk/constructs/database"
	"github.com/djangocdk/djangocdk/constructs/djangoweb"
	"github.com/djangocdk/djangocdk/constructs/migration"
)

// ComputeConfig configures the ECS cluster's services and tasks.
type ComputeConfig struct {
	// CpuArchitecture of the image: ARM64 (Graviton) or X86_64.
	CpuArchitecture string `json:"cpuArchitecture"`
	// LogRetentionDays of the containers' logs.
	LogRetentionDays int `json:"logRetentionDays"`
	// Web configures the Django web service.
	Web WebConfig `json:"web"`
	// Queues lists the Celery queues, one worker service each.
	Queues []QueueConfig `json:"queues"`
	// Beat configures the Celery beat task.
	Beat TaskConfig `json:"beat"`
	// Migration configures the migration task.
	Migration TaskConfig `json:"migration"`
	// Jobs are management commands run on a schedule (jobs_config.go).
	Jobs []JobConfig `json:"jobs"`
	// ExecuteCommand turns on ECS Exec on the web service (manage.py shell).
	ExecuteCommand bool `json:"executeCommand"`
	// Tracing configures the OpenTelemetry collector sidecars.
	Tracing TracingConfig `json:"tracing"`
	// ExtraEgress lists what the Django tasks may connect to besides HTTPS
	// anywhere, the database and the cache (SMTP, another database, ...).
	ExtraEgress []EgressConfig `json:"extraEgress"`
}

// EgressConfig is one outbound rule of the Django tasks' security groups.
type EgressConfig struct {
	// Port the tasks connect to.
	Port int `json:"port"`
	// Protocol is "tcp" (when empty) or "udp".
	Protocol string `json:"protocol"`
	// Cidr is the destination's IPv4 range; 0.0.0.0/0 is anywhere.
	Cidr string `json:"cidr"`
	// Description says what the tasks reach there.
	Description string `json:"description"`
}

func (e EgressConfig) protocol() string {
	if e.Protocol == "" {
		return "tcp"
	}
	return e.Protocol
}

// TracingConfig configures tracing to X-Ray.
type TracingConfig struct {
	// Enabled adds the collector sidecar to the web, worker and beat tasks.
	Enabled bool `json:"enabled"`
	// CollectorImage is the AWS Distro for OpenTelemetry collector image.
	CollectorImage string `json:"collectorImage"`
	// SampleRatio of the traces kept.
	SampleRatio float64 `json:"sampleRatio"`
}

// WebConfig configures the web service.
type WebConfig struct {
	Cpu       int `json:"cpu"`
	MemoryMiB int `json:"memoryMiB"`
	// Spot runs the web tasks on Fargate Spot (djangoweb.Props.Spot).
	Spot                       bool           `json:"spot"`
	Port                       int            `json:"port"`
	MinTasks                   int            `json:"minTasks"`
	MaxTasks                   int            `json:"maxTasks"`
	HealthCheckPath            string         `json:"healthCheckPath"`
	HealthCheckGraceSeconds    *int           `json:"healthCheckGraceSeconds"` // 0 is kept: no grace period; absent: djangoweb's default (60)
	RequestBudgetSeconds       int            `json:"requestBudgetSeconds"`
	AlbIdleTimeoutSeconds      int            `json:"albIdleTimeoutSeconds"`
	DeregistrationDelaySeconds int            `json:"deregistrationDelaySeconds"`
	StopTimeoutSeconds         int            `json:"stopTimeoutSeconds"`
	CertificateArn             string         `json:"certificateArn"`
	CpuTargetPercent           int            `json:"cpuTargetPercent"`
	RequestsPerTarget          int            `json:"requestsPerTarget"`
	Command                    []string       `json:"command"`
	Gunicorn                   GunicornConfig `json:"gunicorn"`
	// PublicAlb keeps the load balancer open to the internet even when
	// CloudFront fronts it.
	PublicAlb bool `json:"publicAlb"`
	// CloudFrontPrefixListID is the region's com.amazonaws.global.cloudfront.origin-facing list.
	CloudFrontPrefixListID string `json:"cloudFrontPrefixListId"`
	// OriginDomainName is the load balancer's name in DNS, covered by its
	// certificate, for CloudFront to reach it over HTTPS.
	OriginDomainName string `json:"originDomainName"`
	// OriginSecretVersions are version ids of the origin secret: CloudFront
	// sends the first, the load balancer accepts each. Empty: the current
	// version. Set during a rotation (README).
	OriginSecretVersions []string `json:"originSecretVersions"`
	// PlainHTTPOrigin lets CloudFront reach the load balancer over plain
	// HTTP: for a disposable environment only.
	PlainHTTPOrigin bool `json:"plainHttpOrigin"`
	// DeploymentAlarms roll a web deployment back on errors or latency.
	DeploymentAlarms DeploymentAlarmsConfig `json:"deploymentAlarms"`
	// ReadonlyRootFilesystem makes the Django container's root filesystem
	// read-only (and the tracing sidecar's). Absent: true.
	ReadonlyRootFilesystem *bool `json:"readonlyRootFilesystem"`
	// WritablePaths are the container's directories backed by writable task
	// volumes. Absent: ["/tmp"].
	WritablePaths []string `json:"writablePaths"`
}

// DeploymentAlarmsConfig configures the alarms that roll a web deployment back.
type DeploymentAlarmsConfig struct {
	Enabled            bool    `json:"enabled"`
	Target5xxPerMinute float64 `json:"target5xxPerMinute"`
	LatencyP95Seconds  float64 `json:"latencyP95Seconds"`
}

// GunicornConfig configures gunicorn in the web containers.
type GunicornConfig struct {
	Workers                int `json:"workers"`
	Threads                int `json:"threads"`
	TimeoutSeconds         int `json:"timeoutSeconds"`
	KeepaliveSeconds       int `json:"keepaliveSeconds"`
	GracefulTimeoutSeconds int `json:"gracefulTimeoutSeconds"`
}

// QueueConfig configures the workers of one Celery queue.
type QueueConfig struct {
	Name        string `json:"name"`
	Concurrency int    `json:"concurrency"`
	Cpu         int    `json:"cpu"`
	MemoryMiB   int    `json:"memoryMiB"`
	// MinTasks is the floor of autoscaling; 0 scales the workers to zero
	// while the queue is empty (celeryworker.Props.ScaleToZero).
	MinTasks             int      `json:"minTasks"`
	MaxTasks             int      `json:"maxTasks"`
	Spot                 bool     `json:"spot"`
	TargetBacklogPerTask int      `json:"targetBacklogPerTask"`
	StopTimeoutSeconds   int      `json:"stopTimeoutSeconds"`
	Command              []string `json:"command"`
	// ReadonlyRootFilesystem makes the Django container's root filesystem
	// read-only (and the tracing sidecar's). Absent: true.
	ReadonlyRootFilesystem *bool `json:"readonlyRootFilesystem"`
	// WritablePaths are the container's directories backed by writable task
	// volumes. Absent: ["/tmp"].
	WritablePaths []string `json:"writablePaths"`
}

// TaskConfig sizes a one-container task and may override its command.
type TaskConfig struct {
	Cpu       int      `json:"cpu"`
	MemoryMiB int      `json:"memoryMiB"`
	Command   []string `json:"command"`
	// ReadonlyRootFilesystem makes the Django container's root filesystem
	// read-only (and the tracing sidecar's). Absent: true.
	ReadonlyRootFilesystem *bool `json:"readonlyRootFilesystem"`
	// WritablePaths are the container's directories backed by writable task
	// volumes. Absent: ["/tmp"].
	WritablePaths []string `json:"writablePaths"`
	// Spot runs compute.beat on Fargate Spot (celerybeat.Props.Spot); the
	// one-off tasks (compute.migration) always run on Fargate.
	Spot bool `json:"spot"`
}

// readonlyRoot returns the value of a readonlyRootFilesystem key, true when absent.
func readonlyRoot(key *bool) bool { return key == nil || *key }

var certificatePattern = regexp.MustCompile(`^arn:aws[a-z-]*:acm:([a-z0-9-]+):[0-9]{12}:certificate/[0-9a-f-]{36}$`)

func (c *ComputeConfig) validate(v *validator, region string) {
	if c.CpuArchitecture != "ARM64" && c.CpuArchitecture != "X86_64" {
		v.fail("compute.cpuArchitecture", "%q is not allowed; use \"ARM64\" (Graviton) or \"X86_64\"", c.CpuArchitecture)
	}
	v.retention("compute.logRetentionDays", c.LogRetentionDays)

	w := &c.Web
	if w.CertificateArn != "" {
		if m := certificatePattern.FindStringSubmatch(w.CertificateArn); m == nil {
			v.fail("compute.web.certificateArn", "%q is not an ACM certificate ARN", w.CertificateArn)
		} else if m[1] != region && regionPattern.MatchString(region) {
			v.fail("compute.web.certificateArn", "%q is in %s; the load balancer needs a certificate in %s", w.CertificateArn, m[1], region)
		}
	}
	if w.MinTasks == 0 {
		v.fail("compute.web.minTasks", "0: the web service keeps at least 1 task (a request cannot wake it up in time; only Celery queues, compute.queues[i].minTasks, scale to zero)")
	}
	v.noMigrations("compute.web.command", w.Command)
	v.filesystem("compute.web", w.ReadonlyRootFilesystem, w.WritablePaths)
	if c.ExecuteCommand && readonlyRoot(w.ReadonlyRootFilesystem) {
		v.fail("compute.executeCommand", "true, but compute.web.readonlyRootFilesystem is true: ECS Exec's agent needs a writable root filesystem (AWS supports no other way); "+
			"set compute.web.readonlyRootFilesystem to false too while you need a shell, or executeCommand to false")
	}

	if len(c.Queues) == 0 {
		v.fail("compute.queues", "empty; list at least Celery's default queue, such as {\"name\": \"celery\"}")
	}
	names := map[string]bool{}
	for i, q := range c.Queues {
		path := fmt.Sprintf("compute.queues[%d]", i)
		if names[q.Name] {
			v.fail(path+".name", "%q is listed twice; one worker service per queue", q.Name)
		}
		names[q.Name] = true
		v.noMigrations(path+".command", q.Command)
		v.filesystem(path, q.ReadonlyRootFilesystem, q.WritablePaths)
	}
	v.noMigrations("compute.beat.command", c.Beat.Command)
	v.filesystem("compute.beat", c.Beat.ReadonlyRootFilesystem, c.Beat.WritablePaths)
	v.filesystem("compute.migration", c.Migration.ReadonlyRootFilesystem, c.Migration.WritablePaths)
	if c.Migration.Spot {
		v.fail("compute.migration.spot", "true, but the release runs its one-off tasks with run-task on Fargate: an interrupted migration would fail the release; remove the key")
	}
	c.validateEgress(v)
	c.validateJobs(v)
}

// maxExtraEgress leaves room, in a security group's default quota of 60
// outbound rules, for the ones djangocdk adds.
const maxExtraEgress = 50

// egressDescriptionPattern is what EC2 accepts in a rule's description.
var egressDescriptionPattern = regexp.MustCompile(`^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,255}$`)

func (c *ComputeConfig) validateEgress(v *validator) {
	if n := len(c.ExtraEgress); n > maxExtraEgress {
		v.fail("compute.extraEgress", "%d rules; at most %d fit beside djangocdk's in a security group's 60 outbound rules", n, maxExtraEgress)
	}
	seen := map[string]int{}
	for i, e := range c.ExtraEgress {
		path := fmt.Sprintf("compute.extraEgress[%d]", i)
		v.within(path+".port", e.Port, 1, 65535, "a TCP or UDP port")
		if e.Protocol != "" && e.Protocol != "tcp" && e.Protocol != "udp" {
			v.fail(path+".protocol", "%q is not allowed; use \"tcp\" (the default) or \"udp\"", e.Protocol)
		}
		v.check(path+".cidr", checkEgressCidr(e.Cidr))
		switch {
		case e.Description == "":
			v.fail(path+".description", "empty; say what the tasks reach there, such as \"SMTP to the mail provider\"")
		case !egressDescriptionPattern.MatchString(e.Description):
			v.fail(path+".description", "%q is not a rule description: up to 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*", e.Description)
		}
		key := fmt.Sprintf("%s/%d/%s", e.protocol(), e.Port, e.Cidr)
		switch j, dup := seen[key]; {
		case key == "tcp/443/0.0.0.0/0":
			v.fail(path, "port 443 anywhere is already allowed to every task")
		case dup:
			v.fail(path, "same protocol, port and cidr as compute.extraEgress[%d]", j)
		}
		seen[key] = i
	}
}

// checkEgressCidr reports whether cidr is an IPv4 range without host bits.
func checkEgressCidr(cidr string) error {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil || !prefix.Addr().Is4() {
		return fmt.Errorf("%q is not an IPv4 CIDR block such as 203.0.113.0/24 (0.0.0.0/0 for anywhere)", cidr)
	}
	if masked := prefix.Masked(); masked != prefix {
		return fmt.Errorf("%q has host bits set; use %s", cidr, masked)
	}
	return nil
}

// filesystem checks the writable paths of the process at path; with a
// read-only root they must include /tmp, where gunicorn, Celery beat's
// default command and Python's tempfile write.
func (v *validator) filesystem(path string, readonly *bool, paths []string) {
	if paths == nil {
		return // the default, /tmp
	}
	if _, err := apptask.CheckWritablePaths(paths); err == nil && readonlyRoot(readonly) && !slices.Contains(paths, "/tmp") {
		v.fail(path+".writablePaths", "%q lacks /tmp, but the root filesystem is read-only: gunicorn's heartbeat files, Celery beat's schedule and Python's tempfile (Django's uploads) write there; "+
			"add /tmp, or set %s.readonlyRootFilesystem to false", paths, path)
	}
}

// noMigrations rejects a service command that runs migrations: they run
// once per release in the migration task, not on every task start.
func (v *validator) noMigrations(path string, command []string) {
	if migration.RunsMigrations(command) {
		v.fail(path, "%q runs migrations; only the migration task may (every task start would run them again)", command)
	}
}

// connectionMargin is the share of max_connections the app may use; the
// rest is left for superuser, monitoring and console sessions.
const connectionMargin = 0.8

// validateConnections checks that Django's persistent connections fit the
// database at full scale during a rolling deploy, when each service may run
// its deployment maximum (new tasks start before old ones stop), unless RDS
// Proxy pools them.
func (c *Config) validateConnections(v *validator) {
	if c.Database.Proxy || len(v.problems) > 0 {
		return
	}
	maxConnections, known := database.EstimatedMaxConnections(c.Database.InstanceClass)
	if !known {
		return // an unknown class is reported by its own check
	}
	deploying := func(tasks, maxPercent int) int { return (tasks*maxPercent + 99) / 100 }
	w := c.Compute.Web
	webTasks := deploying(w.MaxTasks, djangoweb.MaxHealthyPercent)
	web := webTasks * w.Gunicorn.Workers * w.Gunicorn.Threads
	// Beat (never two at once), one migration task and one task per
	// scheduled job (never two of one job at once).
	total := web + 2 + len(c.Compute.Jobs)
	var queues []string
	for _, q := range c.Compute.Queues {
		tasks := deploying(q.MaxTasks, celeryworker.MaxHealthyPercent)
		total += tasks * q.Concurrency
		queues = append(queues, fmt.Sprintf("%s %d x %d", q.Name, tasks, q.Concurrency))
	}
	budget := int(float64(maxConnections) * connectionMargin)
	if total > budget {
		v.problems = append(v.problems, fmt.Sprintf(
			"%s: connection budget exceeded during a rolling deploy, when each service runs up to %d%% of its maxTasks: web %d tasks x %d workers x %d threads = %d, queues %s, beat 1, migration 1 and %d scheduled jobs make %d connections; %s allows about %d (max_connections), %d with a %d%% margin. "+
				"Lower compute.web.maxTasks, the gunicorn workers or threads, or the queues' maxTasks or concurrency; choose a larger database.instanceClass; or set database.proxy to true",
			v.src.Origin("database.instanceClass"), djangoweb.MaxHealthyPercent, webTasks, w.Gunicorn.Workers, w.Gunicorn.Threads, web,
			strings.Join(queues, ", "), len(c.Compute.Jobs), total, c.Database.InstanceClass, maxConnections, budget, int(connectionMargin*100)))
	}
}

func (c *ComputeConfig) validateOperations(v *validator) {
	if t := c.Tracing; t.Enabled {
		if !strings.Contains(t.CollectorImage, ":") || strings.HasSuffix(t.CollectorImage, ":latest") {
			v.fail("compute.tracing.collectorImage", "%q does not pin a version (image:tag, not latest)", t.CollectorImage)
		}
	}
}
