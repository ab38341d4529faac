package stacks

import (
	"fmt"
	"regexp"

	"github.com/djangocdk/djangocdk/constructs/cache"
	"github.com/djangocdk/djangocdk/constructs/database"
	"github.com/djangocdk/djangocdk/constructs/storage"
)

// DatabaseConfig configures RDS PostgreSQL.
type DatabaseConfig struct {
	// InstanceClass such as db.t4g.micro.
	InstanceClass string `json:"instanceClass"`
	// Name of the database (POSTGRES_DB).
	Name string `json:"name"`
	// AllocatedStorageGiB of gp3 storage to start with.
	AllocatedStorageGiB int `json:"allocatedStorageGiB"`
	// MaxAllocatedStorageGiB that storage autoscaling may grow to.
	MaxAllocatedStorageGiB int `json:"maxAllocatedStorageGiB"`
	// MultiAz runs a standby in a second zone.
	MultiAz bool `json:"multiAz"`
	// BackupRetentionDays of automated backups.
	BackupRetentionDays int `json:"backupRetentionDays"`
	// LogRetentionDays of the PostgreSQL logs in CloudWatch.
	LogRetentionDays int `json:"logRetentionDays"`
	// SlowQueryMs logs statements slower than this.
	SlowQueryMs int `json:"slowQueryMs"`
	// IdleInTransactionTimeoutMs ends sessions idle in a transaction.
	IdleInTransactionTimeoutMs int `json:"idleInTransactionTimeoutMs"`
	// RotationDays rotates the password; 0 is off.
	RotationDays int `json:"rotationDays"`
	// MonitoringIntervalSeconds of RDS Enhanced Monitoring; 0 is off.
	MonitoringIntervalSeconds int `json:"monitoringIntervalSeconds"`
	// Proxy puts RDS Proxy in front of the database.
	Proxy bool `json:"proxy"`
}

// CacheConfig configures ElastiCache.
type CacheConfig struct {
	// Engine is "valkey" or "redis".
	Engine string `json:"engine"`
	// EngineVersion such as "8.0"; empty picks the construct's default.
	EngineVersion string `json:"engineVersion"`
	// NodeType such as cache.t4g.micro.
	NodeType string `json:"nodeType"`
	// Nodes per shard; 2 or more turn on failover and Multi-AZ.
	Nodes int `json:"nodes"`
	// ClusterMode shards the keyspace (not supported by Celery's broker).
	ClusterMode bool `json:"clusterMode"`
	// Shards with cluster mode.
	Shards int `json:"shards"`
	// SnapshotRetentionDays of daily snapshots; 0 is off.
	SnapshotRetentionDays int `json:"snapshotRetentionDays"`
	// LogRetentionDays of the slow log.
	LogRetentionDays int `json:"logRetentionDays"`
}

// StorageConfig configures the S3 buckets.
type StorageConfig struct {
	// CorsAllowedOrigins may GET, PUT and POST media from the browser.
	CorsAllowedOrigins []string `json:"corsAllowedOrigins"`
	// NoncurrentVersionDays keeps old media versions.
	NoncurrentVersionDays int `json:"noncurrentVersionDays"`
	// AccessLogDays keeps S3 access logs.
	AccessLogDays int `json:"accessLogDays"`
}

// DjangoConfig holds settings of the Django app.
type DjangoConfig struct {
	// AllowedHosts becomes DJANGO_ALLOWED_HOSTS.
	AllowedHosts []string `json:"allowedHosts"`
	// SettingsModule becomes DJANGO_SETTINGS_MODULE.
	SettingsModule string `json:"settingsModule"`
	// AdminURL becomes DJANGO_ADMIN_URL.
	AdminURL string `json:"adminUrl"`
	// CeleryApp is the -A argument of the Celery commands.
	CeleryApp string `json:"celeryApp"`
	// ThirdPartySecrets are variables read from the third-party secret,
	// one JSON field each.
	ThirdPartySecrets []string `json:"thirdPartySecrets"`
}

func (d *DatabaseConfig) validate(v *validator) {
	v.check("database.instanceClass", database.CheckInstanceClass(d.InstanceClass))
	v.check("database.name", database.CheckName(d.Name))
	v.within("database.allocatedStorageGiB", d.AllocatedStorageGiB, 20, 65536, "gp3 storage in GiB")
	v.within("database.maxAllocatedStorageGiB", d.MaxAllocatedStorageGiB, d.AllocatedStorageGiB, 65536, "from allocatedStorageGiB up")
	v.within("database.backupRetentionDays", d.BackupRetentionDays, 7, 35, "at least a week of backups")
	v.retention("database.logRetentionDays", d.LogRetentionDays)
	v.within("database.slowQueryMs", d.SlowQueryMs, 1, 3600000, "milliseconds")
	v.within("database.idleInTransactionTimeoutMs", d.IdleInTransactionTimeoutMs, 1000, 86400000, "milliseconds")
	v.within("database.rotationDays", d.RotationDays, 0, 365, "0 turns rotation off")
	v.check("database.monitoringIntervalSeconds", database.CheckMonitoringInterval(d.MonitoringIntervalSeconds))
}

func (c *CacheConfig) validate(v *validator) {
	v.check("cache.engine", cache.CheckEngine(c.Engine))
	v.check("cache.nodeType", cache.CheckNodeType(c.NodeType))
	v.within("cache.nodes", c.Nodes, 1, 6, "a primary and up to 5 replicas")
	if c.ClusterMode {
		v.within("cache.shards", c.Shards, 1, 500, "shards in cluster mode")
	} else if c.Shards != 1 {
		v.fail("cache.shards", "%d shards need cache.clusterMode true; without it use 1", c.Shards)
	}
	v.within("cache.snapshotRetentionDays", c.SnapshotRetentionDays, 0, 35, "0 turns snapshots off")
	v.retention("cache.logRetentionDays", c.LogRetentionDays)
}

func (s *StorageConfig) validate(v *validator) {
	for i, origin := range s.CorsAllowedOrigins {
		v.check(fmt.Sprintf("storage.corsAllowedOrigins[%d]", i), storage.CheckOrigin(origin))
	}
	v.within("storage.noncurrentVersionDays", s.NoncurrentVersionDays, 1, 3650, "days")
	v.within("storage.accessLogDays", s.AccessLogDays, 1, 3650, "days")
}

func (d *DjangoConfig) validate(v *validator) {
	if len(d.AllowedHosts) == 0 {
		v.fail("django.allowedHosts", "empty; list the host names Django serves, such as app.example.com")
	}
	for i, host := range d.AllowedHosts {
		if !hostPattern.MatchString(host) {
			v.fail(fmt.Sprintf("django.allowedHosts[%d]", i), "%q is not a host name such as app.example.com or .example.com (no scheme, port or wildcard *)", host)
		}
	}
	if !dottedPattern.MatchString(d.SettingsModule) {
		v.fail("django.settingsModule", "%q is not a Python module path such as config.settings.production", d.SettingsModule)
	}
	if !dottedPattern.MatchString(d.CeleryApp) {
		v.fail("django.celeryApp", "%q is not a Python module path such as config.celery_app", d.CeleryApp)
	}
	if !adminURLPattern.MatchString(d.AdminURL) {
		v.fail("django.adminUrl", "%q is not a relative URL path ending in / such as admin/", d.AdminURL)
	}
	seen := map[string]bool{}
	for i, name := range d.ThirdPartySecrets {
		path := fmt.Sprintf("django.thirdPartySecrets[%d]", i)
		switch {
		case !variablePattern.MatchString(name):
			v.fail(path, "%q is not an environment variable name (A-Z, 0-9, _)", name)
		case seen[name]:
			v.fail(path, "%q is listed twice", name)
		case reservedVariables[name]:
			v.fail(path, "%q is set by djangocdk itself; pick another name", name)
		}
		seen[name] = true
	}
}

var (
	dottedPattern   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
	adminURLPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*/$`)
	variablePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)
