package stacks

import (
	"fmt"
	"regexp"
	"sort"
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
	// Environment holds plain, non-secret variables that every Django
	// container (web, workers, beat, the migration and one-off tasks)
	// gets, such as {"DJANGO_DEFAULT_FROM_EMAIL": "noreply@example.com"}.
	// Secrets belong in ThirdPartySecrets.
	Environment map[string]string `json:"environment"`
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
	names := make([]string, 0, len(d.Environment))
	for name := range d.Environment {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := "django.environment." + name
		switch {
		case !environmentNamePattern.MatchString(name):
			v.fail(path, "%q is not an environment variable name (letters, digits and _, not starting with a digit)", name)
		case reservedVariables[name]:
			v.fail(path, "%q is set by djangocdk itself; pick another name", name)
		case seen[name]:
			v.fail(path, "%q is also in django.thirdPartySecrets; a variable is either plain or secret", name)
		}
	}
}

// environmentNamePattern is a POSIX environment variable name.
var environmentNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

var (
	dottedPattern   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
	adminURLPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*/$`)
	variablePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)
