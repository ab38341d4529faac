package stacks

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/cache"
	"github.com/djangocdk/djangocdk/constructs/celerybeat"
	"github.com/djangocdk/djangocdk/constructs/celeryworker"
	"github.com/djangocdk/djangocdk/constructs/database"
	"github.com/djangocdk/djangocdk/constructs/djangoweb"
	"github.com/djangocdk/djangocdk/constructs/migration"
	"github.com/djangocdk/djangocdk/constructs/monitoring"
	"github.com/djangocdk/djangocdk/constructs/storage"
)

// This file maps cdk.json to the value fields of the constructs' Props,
// once per construct: config validates the result with the construct's own
// Validate, and the stack that creates the construct adds the wiring
// (cluster, VPC, image, security groups) to the same value. The keys maps
// turn a Props field back into the cdk.json key the user must edit.

// taskProps maps the size, command and filesystem of a process to an
// apptask.Props; process names its traces ("" for none: the migration).
func (c *Config) taskProps(process string, size TaskConfig) apptask.Props {
	p := apptask.Props{
		WritableRootFilesystem: !readonlyRoot(size.ReadonlyRootFilesystem),
		WritablePaths:          size.WritablePaths, // nil: /tmp
		Command:                size.Command,
		Cpu:                    size.Cpu,
		MemoryMiB:              size.MemoryMiB,
		LogRetention:           Retention(c.Compute.LogRetentionDays),
		RemovalPolicy:          c.Removal(),
	}
	if t := c.Compute.Tracing; t.Enabled && process != "" {
		ratio := t.SampleRatio
		p.Tracing = &apptask.Tracing{Service: c.Project + "-" + process, CollectorImage: t.CollectorImage, SampleRatio: &ratio}
	}
	return p
}

// taskKeys are the cdk.json keys of taskProps' fields, for a task nested
// as field "Task" under the process's key prefix.
func taskKeys(prefix string) map[string]string {
	return map[string]string{
		"Task.Cpu, MemoryMiB": prefix + ".memoryMiB", "Task.Command": prefix + ".command",
		"Task.WritablePaths": prefix + ".writablePaths", "Task.StopTimeoutSeconds": prefix + ".stopTimeoutSeconds",
		"Task.Port": prefix + ".port", "Task.Tracing.SampleRatio": "compute.tracing.sampleRatio",
	}
}

// webProps maps compute.web to djangoweb.Props.
func (c *Config) webProps() djangoweb.Props {
	w := c.Compute.Web
	p := djangoweb.Props{
		Task: c.taskProps("web", TaskConfig{Cpu: w.Cpu, MemoryMiB: w.MemoryMiB, Command: w.Command,
			ReadonlyRootFilesystem: w.ReadonlyRootFilesystem, WritablePaths: w.WritablePaths}),
		Gunicorn: djangoweb.Gunicorn{
			Workers: w.Gunicorn.Workers, Threads: w.Gunicorn.Threads, TimeoutSeconds: w.Gunicorn.TimeoutSeconds,
			KeepaliveSeconds: w.Gunicorn.KeepaliveSeconds, GracefulTimeoutSeconds: w.Gunicorn.GracefulTimeoutSeconds,
		},
		Spot:                       w.Spot,
		MinTasks:                   w.MinTasks,
		MaxTasks:                   w.MaxTasks,
		HealthCheckPath:            w.HealthCheckPath,
		HealthCheckGraceSeconds:    w.HealthCheckGraceSeconds,
		RequestBudgetSeconds:       w.RequestBudgetSeconds,
		IdleTimeoutSeconds:         w.AlbIdleTimeoutSeconds,
		DeregistrationDelaySeconds: w.DeregistrationDelaySeconds,
		CertificateArn:             w.CertificateArn,
		CpuTargetPercent:           w.CpuTargetPercent,
		RequestsPerTarget:          w.RequestsPerTarget,
		ExecuteCommand:             c.Compute.ExecuteCommand,
		// Kept environments keep their load balancer: its name is what
		// CloudFront and DNS point at.
		DeletionProtection: c.Removal() != awscdk.RemovalPolicy_DESTROY,
	}
	p.Task.Port = w.Port
	p.Task.StopTimeoutSeconds = w.StopTimeoutSeconds
	if d := w.DeploymentAlarms; d.Enabled {
		target := d.Target5xxPerMinute // 0 is kept: any 5xx fails the deployment
		p.DeploymentAlarms = &djangoweb.DeploymentAlarms{NamePrefix: c.StackName("web"), Target5xxPerMinute: &target, LatencyP95Seconds: d.LatencyP95Seconds}
	}
	return p
}

var webKeys = merged(taskKeys("compute.web"), map[string]string{
	"MinTasks": "compute.web.minTasks", "MaxTasks": "compute.web.maxTasks", "HealthCheckPath": "compute.web.healthCheckPath",
	"HealthCheckGraceSeconds": "compute.web.healthCheckGraceSeconds", "RequestBudgetSeconds": "compute.web.requestBudgetSeconds",
	"IdleTimeoutSeconds": "compute.web.albIdleTimeoutSeconds", "DeregistrationDelaySeconds": "compute.web.deregistrationDelaySeconds",
	"CertificateArn": "compute.web.certificateArn", "CpuTargetPercent": "compute.web.cpuTargetPercent",
	"RequestsPerTarget": "compute.web.requestsPerTarget", "Gunicorn.Workers": "compute.web.gunicorn.workers",
	"Gunicorn.Threads": "compute.web.gunicorn.threads", "Gunicorn.TimeoutSeconds": "compute.web.gunicorn.timeoutSeconds",
	"Gunicorn.KeepaliveSeconds": "compute.web.gunicorn.keepaliveSeconds", "Gunicorn.GracefulTimeoutSeconds": "compute.web.gunicorn.gracefulTimeoutSeconds",
	"DeploymentAlarms.Target5xxPerMinute": "compute.web.deploymentAlarms.target5xxPerMinute",
	"DeploymentAlarms.LatencyP95Seconds":  "compute.web.deploymentAlarms.latencyP95Seconds",
})

// queueProps maps compute.queues[i] to celeryworker.Props.
func (c *Config) queueProps(q QueueConfig) celeryworker.Props {
	p := celeryworker.Props{
		Queue:                q.Name,
		Concurrency:          q.Concurrency,
		CeleryApp:            c.Django.CeleryApp,
		Task:                 c.taskProps("worker-"+q.Name, TaskConfig{Cpu: q.Cpu, MemoryMiB: q.MemoryMiB, Command: q.Command, ReadonlyRootFilesystem: q.ReadonlyRootFilesystem, WritablePaths: q.WritablePaths}),
		TargetBacklogPerTask: q.TargetBacklogPerTask,
		MinTasks:             q.MinTasks,
		ScaleToZero:          q.MinTasks == 0, // 0 in cdk.json means zero, not the default
		MaxTasks:             q.MaxTasks,
		Spot:                 q.Spot,
	}
	p.Task.StopTimeoutSeconds = q.StopTimeoutSeconds
	return p
}

func queueKeys(i int) map[string]string {
	prefix := fmt.Sprintf("compute.queues[%d]", i)
	return merged(taskKeys(prefix), map[string]string{
		"Queue": prefix + ".name", "Concurrency": prefix + ".concurrency", "MinTasks": prefix + ".minTasks",
		"MaxTasks": prefix + ".maxTasks", "TargetBacklogPerTask": prefix + ".targetBacklogPerTask",
	})
}

// databaseProps maps database to database.Props.
func (c *Config) databaseProps() database.Props {
	d := c.Database
	removal := awscdk.RemovalPolicy_SNAPSHOT
	if c.Removal() == awscdk.RemovalPolicy_DESTROY {
		removal = awscdk.RemovalPolicy_DESTROY
	}
	return database.Props{
		InstanceClass:              d.InstanceClass,
		DatabaseName:               d.Name,
		AllocatedStorageGiB:        d.AllocatedStorageGiB,
		MaxAllocatedStorageGiB:     d.MaxAllocatedStorageGiB,
		MultiAz:                    d.MultiAz,
		BackupRetentionDays:        d.BackupRetentionDays,
		RemovalPolicy:              removal,
		LogRetention:               Retention(d.LogRetentionDays),
		SlowQueryMs:                d.SlowQueryMs,
		IdleInTransactionTimeoutMs: d.IdleInTransactionTimeoutMs,
		RotationDays:               d.RotationDays,
		MonitoringIntervalSeconds:  d.MonitoringIntervalSeconds,
		Proxy:                      d.Proxy,
	}
}

var databaseKeys = map[string]string{
	"InstanceClass": "database.instanceClass", "DatabaseName": "database.name", "AllocatedStorageGiB": "database.allocatedStorageGiB",
	"MaxAllocatedStorageGiB": "database.maxAllocatedStorageGiB", "BackupRetentionDays": "database.backupRetentionDays",
	"SlowQueryMs": "database.slowQueryMs", "IdleInTransactionTimeoutMs": "database.idleInTransactionTimeoutMs",
	"RotationDays": "database.rotationDays", "MonitoringIntervalSeconds": "database.monitoringIntervalSeconds",
}

// cacheProps maps cache to cache.Props.
func (c *Config) cacheProps() cache.Props {
	k := c.Cache
	return cache.Props{
		Engine:                k.Engine,
		EngineVersion:         k.EngineVersion,
		NodeType:              k.NodeType,
		Nodes:                 k.Nodes,
		ClusterMode:           k.ClusterMode,
		Shards:                k.Shards,
		SnapshotRetentionDays: k.SnapshotRetentionDays,
		LogRetention:          Retention(k.LogRetentionDays),
		RemovalPolicy:         c.Removal(),
	}
}

var cacheKeys = map[string]string{
	"Engine": "cache.engine", "EngineVersion": "cache.engineVersion", "NodeType": "cache.nodeType", "Nodes": "cache.nodes",
	"Shards": "cache.shards", "SnapshotRetentionDays": "cache.snapshotRetentionDays",
}

// storageProps maps storage to storage.Props.
func (c *Config) storageProps() storage.Props {
	s := c.Storage
	return storage.Props{
		CorsAllowedOrigins:    s.CorsAllowedOrigins,
		NoncurrentVersionDays: s.NoncurrentVersionDays,
		AccessLogDays:         s.AccessLogDays,
		RemovalPolicy:         c.Removal(),
	}
}

var storageKeys = map[string]string{
	"CorsAllowedOrigins": "storage.corsAllowedOrigins", "NoncurrentVersionDays": "storage.noncurrentVersionDays",
	"AccessLogDays": "storage.accessLogDays",
}

// thresholds maps operations to the alarms' monitoring.Thresholds.
func (o *OperationsConfig) thresholds() monitoring.Thresholds {
	return monitoring.Thresholds{
		Alb5xxPercent: o.Alb5xxPercent, Target5xxPercent: o.Target5xxPercent,
		LatencyP95Seconds: o.LatencyP95Seconds, LatencyP99Seconds: o.LatencyP99Seconds,
		ServiceCpuPercent: o.ServiceCpuPercent, ServiceMemoryPercent: o.ServiceMemoryPercent,
		QueueDepth: o.QueueDepth, QueueAgeSeconds: o.QueueAgeSeconds,
		DatabaseCpuPercent: o.DatabaseCpuPercent, DatabaseFreeStoragePct: o.DatabaseFreeStoragePct,
		DatabaseFreeMemoryPct: o.DatabaseFreeMemoryPct, DatabaseConnectionsPct: o.DatabaseConnectionsPct,
		CacheCpuPercent: o.CacheCpuPercent, CacheMemoryPercent: o.CacheMemoryPercent,
	}
}

// thresholdKeys are the cdk.json keys of monitoring.Thresholds' fields.
var thresholdKeys = map[string]string{
	"Thresholds.Alb5xxPercent": "operations.alb5xxPercent", "Thresholds.Target5xxPercent": "operations.target5xxPercent",
	"Thresholds.LatencyP95Seconds": "operations.latencyP95Seconds", "Thresholds.LatencyP99Seconds": "operations.latencyP99Seconds",
	"Thresholds.ServiceCpuPercent": "operations.serviceCpuPercent", "Thresholds.ServiceMemoryPercent": "operations.serviceMemoryPercent",
	"Thresholds.QueueDepth": "operations.queueDepth", "Thresholds.QueueAgeSeconds": "operations.queueAgeSeconds",
	"Thresholds.DatabaseCpuPercent": "operations.databaseCpuPercent", "Thresholds.DatabaseFreeStoragePct": "operations.databaseFreeStoragePercent",
	"Thresholds.DatabaseFreeMemoryPct": "operations.databaseFreeMemoryPercent", "Thresholds.DatabaseConnectionsPct": "operations.databaseConnectionsPercent",
	"Thresholds.CacheCpuPercent": "operations.cacheCpuPercent", "Thresholds.CacheMemoryPercent": "operations.cacheMemoryPercent",
}

// validateProps checks the Props that config maps, each with its
// construct's Validate, and reports every problem at the cdk.json key
// that set the field.
func (c *Config) validateProps(v *validator) {
	c.noZeroDefaults(v)
	web := c.webProps()
	v.props(web.Validate(), webKeys)
	for i, q := range c.Compute.Queues {
		queue := c.queueProps(q)
		v.props(queue.Validate(), queueKeys(i))
	}
	// Beat and the migration are plain tasks whose constructs give the
	// command when config leaves it empty.
	beat, migrate := c.taskProps("beat", c.Compute.Beat), c.taskProps("", c.Compute.Migration)
	if len(beat.Command) == 0 {
		beat.Command = celerybeat.DefaultCommand(c.Django.CeleryApp)
	}
	if len(migrate.Command) == 0 {
		migrate.Command = migration.DefaultCommand
	}
	v.props(nested(beat.Validate()), taskKeys("compute.beat"))
	v.props(nested(migrate.Validate()), taskKeys("compute.migration"))
	db, redis, buckets := c.databaseProps(), c.cacheProps(), c.storageProps()
	v.props(db.Validate(), databaseKeys)
	v.props(redis.Validate(), cacheKeys)
	v.props(buckets.Validate(), storageKeys)
	v.props(c.Operations.thresholds().Validate(), thresholdKeys)
}

// noZeroDefaults rejects 0 in the keys whose construct field reads 0 as
// "my default": in cdk.json a 0 would silently become another number.
// (Where 0 means something, such as healthCheckGraceSeconds,
// target5xxPerMinute, sampleRatio, rotationDays or snapshotRetentionDays,
// the field keeps it.)
func (c *Config) noZeroDefaults(v *validator) {
	type keyValue struct {
		key   string
		value float64
	}
	w, d, k, s := c.Compute.Web, c.Database, c.Cache, c.Storage
	keys := []keyValue{
		{"compute.web.cpu", float64(w.Cpu)}, {"compute.web.memoryMiB", float64(w.MemoryMiB)}, {"compute.web.port", float64(w.Port)},
		{"compute.web.maxTasks", float64(w.MaxTasks)},
		{"compute.web.requestBudgetSeconds", float64(w.RequestBudgetSeconds)}, {"compute.web.albIdleTimeoutSeconds", float64(w.AlbIdleTimeoutSeconds)},
		{"compute.web.deregistrationDelaySeconds", float64(w.DeregistrationDelaySeconds)}, {"compute.web.stopTimeoutSeconds", float64(w.StopTimeoutSeconds)},
		{"compute.web.cpuTargetPercent", float64(w.CpuTargetPercent)}, {"compute.web.requestsPerTarget", float64(w.RequestsPerTarget)},
		{"compute.web.gunicorn.workers", float64(w.Gunicorn.Workers)}, {"compute.web.gunicorn.threads", float64(w.Gunicorn.Threads)},
		{"compute.web.gunicorn.timeoutSeconds", float64(w.Gunicorn.TimeoutSeconds)}, {"compute.web.gunicorn.keepaliveSeconds", float64(w.Gunicorn.KeepaliveSeconds)},
		{"compute.web.gunicorn.gracefulTimeoutSeconds", float64(w.Gunicorn.GracefulTimeoutSeconds)},
		{"compute.web.deploymentAlarms.latencyP95Seconds", w.DeploymentAlarms.LatencyP95Seconds},
		{"compute.beat.cpu", float64(c.Compute.Beat.Cpu)}, {"compute.beat.memoryMiB", float64(c.Compute.Beat.MemoryMiB)},
		{"compute.migration.cpu", float64(c.Compute.Migration.Cpu)}, {"compute.migration.memoryMiB", float64(c.Compute.Migration.MemoryMiB)},
		{"database.allocatedStorageGiB", float64(d.AllocatedStorageGiB)}, {"database.maxAllocatedStorageGiB", float64(d.MaxAllocatedStorageGiB)},
		{"database.backupRetentionDays", float64(d.BackupRetentionDays)}, {"database.slowQueryMs", float64(d.SlowQueryMs)},
		{"database.idleInTransactionTimeoutMs", float64(d.IdleInTransactionTimeoutMs)},
		{"cache.nodes", float64(k.Nodes)}, {"cache.shards", float64(k.Shards)},
		{"storage.noncurrentVersionDays", float64(s.NoncurrentVersionDays)}, {"storage.accessLogDays", float64(s.AccessLogDays)},
	}
	for i, q := range c.Compute.Queues {
		prefix := fmt.Sprintf("compute.queues[%d].", i)
		keys = append(keys, []keyValue{{prefix + "concurrency", float64(q.Concurrency)}, {prefix + "cpu", float64(q.Cpu)}, {prefix + "memoryMiB", float64(q.MemoryMiB)},
			{prefix + "maxTasks", float64(q.MaxTasks)}, {prefix + "stopTimeoutSeconds", float64(q.StopTimeoutSeconds)}}...)
	}
	// The alarm thresholds, through their one mapping (thresholdKeys).
	thresholds := reflect.ValueOf(c.Operations.thresholds())
	for _, field := range slices.Sorted(maps.Keys(thresholdKeys)) {
		keys = append(keys, keyValue{thresholdKeys[field], thresholds.FieldByName(strings.TrimPrefix(field, "Thresholds.")).Float()})
	}
	for _, k := range keys {
		if k.value == 0 {
			v.fail(k.key, "0 is not allowed; the construct would read it as \"use my default\", so give the number you mean")
		}
	}
}

var indexPattern = regexp.MustCompile(`^(.*?)((\[[0-9]+\])*)$`)

// props reports each problem of err, a construct's Validate result, at the
// cdk.json key that keys gives for its Props field ("WritablePaths[1]"
// finds "WritablePaths" and keeps the index). A field with no key, or a
// problem of no one field, is reported with its Props name, never dropped.
func (v *validator) props(err error, keys map[string]string) {
	for _, problem := range unjoined(err) {
		var f fieldError
		if !errors.As(problem, &f) {
			v.problems = append(v.problems, problem.Error())
			continue
		}
		m := indexPattern.FindStringSubmatch(f.PropsField())
		key, known := keys[m[1]]
		var order *djangoweb.OrderError
		switch {
		case !known:
			v.problems = append(v.problems, f.Error())
		case errors.As(f, &order) && keys[order.Other] != "":
			v.problems = append(v.problems, fmt.Sprintf("timeouts out of order: %s (%d s) must be %s %s (%d s): %s",
				v.src.Origin(key), order.Value, order.Relation, v.src.Origin(keys[order.Other]), order.OtherValue, order.Why))
		default:
			v.fail(key+m[2], "%v", f.Unwrap())
		}
	}
}

// fieldError is a construct's *propserr.FieldError: a problem of one
// field of its Props.
type fieldError interface {
	error
	PropsField() string
	Unwrap() error
}

// nested reports the problems of a task's own Validate as those of a task
// nested as field "Task", the name taskKeys knows.
func nested(err error) error {
	problems := unjoined(err)
	for i, problem := range problems {
		if f, ok := problem.(fieldError); ok {
			problems[i] = taskField{f}
		}
	}
	return errors.Join(problems...)
}

// taskField is a problem of an apptask.Props field, named as field "Task.X".
type taskField struct{ fieldError }

// PropsField returns the field under "Task".
func (t taskField) PropsField() string { return "Task." + t.fieldError.PropsField() }

// unjoined returns the problems that errors.Join put in err.
func unjoined(err error) []error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		return joined.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// merged returns the union of maps (later ones win).
func merged(keys ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range keys {
		maps.Copy(out, m)
	}
	return out
}
