// Package stacks holds djangocdk's per-environment configuration and the
// stacks that wire the constructs of this module into one deployment.
package stacks

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/cache"
	"github.com/djangocdk/djangocdk/constructs/celeryworker"
	"github.com/djangocdk/djangocdk/constructs/database"
	"github.com/djangocdk/djangocdk/constructs/djangoweb"
	"github.com/djangocdk/djangocdk/constructs/frontend"
	"github.com/djangocdk/djangocdk/constructs/migration"
	"github.com/djangocdk/djangocdk/constructs/network"
	"github.com/djangocdk/djangocdk/constructs/releasepipeline"
	"github.com/djangocdk/djangocdk/constructs/storage"
	"github.com/djangocdk/djangocdk/stacks/internal/layered"
)

// Context keys read from cdk.json (or -c on the command line).
const (
	// EnvKey selects the environment: -c env=staging.
	EnvKey = "env"
	// DefaultsKey holds the settings shared by every environment.
	DefaultsKey = "defaults"
	// EnvironmentsKey maps each environment name to its overrides of the defaults.
	EnvironmentsKey = "environments"
)

// Config is one environment's settings: the defaults deep-merged with that
// environment's overrides, decoded strictly and validated.
type Config struct {
	// Env is the environment's name (the key under "environments").
	Env string `json:"-"`
	// Project prefixes every stack name: <project>-<env>-<layer>.
	Project string `json:"project"`
	// Account is the AWS account id the environment deploys to.
	Account string `json:"account"`
	// Region is the AWS region the environment deploys to.
	Region string `json:"region"`
	// AvailabilityZones are the zones used in Region, named so synthesis
	// needs no lookup.
	AvailabilityZones []string `json:"availabilityZones"`
	// RemovalPolicy is "retain" (stateful resources outlive their stack) or
	// "destroy" (a dev environment cleans up after itself).
	RemovalPolicy string `json:"removalPolicy"`
	// TerminationProtection guards the environment's stacks against deletion.
	TerminationProtection bool `json:"terminationProtection"`
	// Network configures the Network stack.
	Network NetworkConfig `json:"network"`
	// Database configures RDS PostgreSQL in the Data stack.
	Database DatabaseConfig `json:"database"`
	// Cache configures ElastiCache in the Data stack.
	Cache CacheConfig `json:"cache"`
	// Storage configures the S3 buckets in the Data stack.
	Storage StorageConfig `json:"storage"`
	// Django holds settings of the Django app itself.
	Django DjangoConfig `json:"django"`
	// Registry configures the ECR repository.
	Registry RegistryConfig `json:"registry"`
	// Compute configures the ECS services and tasks.
	Compute ComputeConfig `json:"compute"`
	// Frontend configures CloudFront and the frontend apps.
	Frontend FrontendConfig `json:"frontend"`
	// Pipeline configures the release pipeline.
	Pipeline PipelineConfig `json:"pipeline"`
	// Operations configures alarms and the dashboard.
	Operations OperationsConfig `json:"operations"`
}

// OperationsConfig configures the alarms, their topic and the dashboard.
type OperationsConfig struct {
	// AlarmEmails are subscribed to the alarm topic.
	AlarmEmails []string `json:"alarmEmails"`
	// Thresholds of the alarms.
	Alb5xxPercent          float64 `json:"alb5xxPercent"`
	Target5xxPercent       float64 `json:"target5xxPercent"`
	LatencyP95Seconds      float64 `json:"latencyP95Seconds"`
	LatencyP99Seconds      float64 `json:"latencyP99Seconds"`
	ServiceCpuPercent      float64 `json:"serviceCpuPercent"`
	ServiceMemoryPercent   float64 `json:"serviceMemoryPercent"`
	QueueDepth             float64 `json:"queueDepth"`
	QueueAgeSeconds        float64 `json:"queueAgeSeconds"`
	DatabaseCpuPercent     float64 `json:"databaseCpuPercent"`
	DatabaseFreeStoragePct float64 `json:"databaseFreeStoragePercent"`
	DatabaseFreeMemoryPct  float64 `json:"databaseFreeMemoryPercent"`
	DatabaseConnectionsPct float64 `json:"databaseConnectionsPercent"`
	CacheCpuPercent        float64 `json:"cacheCpuPercent"`
	CacheMemoryPercent     float64 `json:"cacheMemoryPercent"`
}

// PipelineConfig configures the release pipeline.
type PipelineConfig struct {
	// ConnectionArn of the CodeConnections connection to the repository host.
	ConnectionArn string `json:"connectionArn"`
	// Repository is the monorepo as owner/name.
	Repository string `json:"repository"`
	// Branch releases to this environment.
	Branch string `json:"branch"`
	// Dockerfile of the Django image and its build context, in the monorepo.
	Dockerfile    string `json:"dockerfile"`
	DockerContext string `json:"dockerContext"`
	// CheckMigrationsSettings runs makemigrations --check with this
	// settings module; empty turns the check off.
	CheckMigrationsSettings string `json:"checkMigrationsSettings"`
	// FrontendBuild builds the frontend apps.
	FrontendBuild string `json:"frontendBuild"`
	// NodeVersion is the Node.js major version the frontends build on.
	NodeVersion string `json:"nodeVersion"`
	// TaskTimeoutMinutes bounds each one-off task of a release (migrate,
	// collectstatic).
	TaskTimeoutMinutes int `json:"taskTimeoutMinutes"`
	// DeployTimeoutMinutes bounds the Compute stack update and the wait
	// until every service runs the new image.
	DeployTimeoutMinutes int `json:"deployTimeoutMinutes"`
	// ManualApproval stops each release for a person's approval.
	ManualApproval bool `json:"manualApproval"`
	// NotificationEmails receive failed releases and pending approvals.
	NotificationEmails []string `json:"notificationEmails"`
	// LogRetentionDays of the build logs.
	LogRetentionDays int `json:"logRetentionDays"`
}

// FrontendConfig configures the Frontend-CDN stack.
type FrontendConfig struct {
	// Apps are the Turborepo apps, one distribution each.
	Apps []FrontendAppConfig `json:"apps"`
	// DjangoPaths go to Django on every app's domain.
	DjangoPaths []string `json:"djangoPaths"`
	// PriceClass of the distributions.
	PriceClass string `json:"priceClass"`
	// LogDays keeps CloudFront and frontend bucket access logs.
	LogDays int `json:"logDays"`
}

// FrontendAppConfig configures one frontend app.
type FrontendAppConfig struct {
	Name           string `json:"name"`
	BuildDir       string `json:"buildDir"`
	SPA            bool   `json:"spa"`
	AssetsPath     string `json:"assetsPath"`
	DomainName     string `json:"domainName"`
	CertificateArn string `json:"certificateArn"`
	WebACLArn      string `json:"webAclArn"`
}

// Fronted reports whether CloudFront fronts the web service.
func (c *Config) Fronted() bool { return len(c.Frontend.Apps) > 0 }

// RegistryConfig configures the ECR repository.
type RegistryConfig struct {
	// KeepReleases is how many released images (tagged release-* by the
	// release once the services run them) are kept, the newest by push.
	KeepReleases int `json:"keepReleases"`
	// UnreleasedDays after its push a build never released expires.
	UnreleasedDays int `json:"unreleasedDays"`
	// UntaggedDays after which untagged images expire.
	UntaggedDays int `json:"untaggedDays"`
}

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
	Cpu                        int            `json:"cpu"`
	MemoryMiB                  int            `json:"memoryMiB"`
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
	Name                 string   `json:"name"`
	Concurrency          int      `json:"concurrency"`
	Cpu                  int      `json:"cpu"`
	MemoryMiB            int      `json:"memoryMiB"`
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
}

// readonlyRoot returns the value of a readonlyRootFilesystem key, true when absent.
func readonlyRoot(key *bool) bool { return key == nil || *key }

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

// NetworkConfig configures the VPC.
type NetworkConfig struct {
	// Cidr is the VPC's IPv4 range.
	Cidr string `json:"cidr"`
	// NatGateways is the number of NAT gateways: 1, or one per zone.
	NatGateways int `json:"natGateways"`
	// FlowLogRetentionDays is how long VPC flow logs are kept.
	FlowLogRetentionDays int `json:"flowLogRetentionDays"`
}

// StackName returns the name of the stack for layer: <project>-<env>-<layer>.
func (c *Config) StackName(layer string) string {
	return c.Project + "-" + c.Env + "-" + layer
}

// Removal returns the CDK removal policy for stateful resources.
func (c *Config) Removal() awscdk.RemovalPolicy {
	if c.RemovalPolicy == removeDestroy {
		return awscdk.RemovalPolicy_DESTROY
	}
	return awscdk.RemovalPolicy_RETAIN
}

const (
	removeRetain  = "retain"
	removeDestroy = "destroy"
)

// retentionDays maps the day counts CloudWatch Logs accepts to CDK's enum.
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS,
	5: awslogs.RetentionDays_FIVE_DAYS, 7: awslogs.RetentionDays_ONE_WEEK,
	14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS,
	120: awslogs.RetentionDays_FOUR_MONTHS, 150: awslogs.RetentionDays_FIVE_MONTHS,
	180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS,
	731: awslogs.RetentionDays_TWO_YEARS, 1096: awslogs.RetentionDays_THREE_YEARS,
	1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS,
	3288: awslogs.RetentionDays_NINE_YEARS, 3653: awslogs.RetentionDays_TEN_YEARS,
}

// Retention returns CDK's retention for a validated number of days.
func Retention(days int) awslogs.RetentionDays { return retentionDays[days] }

var (
	secretVersionPattern = regexp.MustCompile(`^[A-Za-z0-9-]{32,64}$`)
	projectPattern       = regexp.MustCompile(`^[a-z][a-z0-9-]{0,18}[a-z0-9]$`)
	envPattern           = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)
	accountPattern       = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern        = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
)

// LoadConfig builds the Config of the environment named by context[EnvKey]
// from context[DefaultsKey] and context[EnvironmentsKey]. context holds the
// values of the CDK app's context, as decoded from JSON. Every error names
// the key path where the value was set, the value and what is allowed.
func LoadConfig(context map[string]any) (*Config, error) {
	environments, ok := context[EnvironmentsKey].(map[string]any)
	if !ok || len(environments) == 0 {
		return nil, fmt.Errorf("%s: missing or not an object; cdk.json must map each environment name to its settings", EnvironmentsKey)
	}
	names := make([]string, 0, len(environments))
	for name := range environments {
		names = append(names, name)
	}
	sort.Strings(names)
	env, _ := context[EnvKey].(string)
	if env == "" {
		return nil, fmt.Errorf("%s: not set; pass -c env=NAME with one of %s", EnvKey, strings.Join(names, ", "))
	}
	override, found := environments[env]
	if !found {
		return nil, fmt.Errorf("%s: %q is not a configured environment; choose one of %s", EnvKey, env, strings.Join(names, ", "))
	}
	envPath := EnvironmentsKey + "." + env
	if !envPattern.MatchString(env) {
		return nil, fmt.Errorf("%s: %q is not a valid environment name; use 1 to 12 lowercase letters and digits, starting with a letter", envPath, env)
	}
	overrides, ok := override.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: %s is not an object of settings", envPath, layered.Describe(override))
	}
	defaults, ok := context[DefaultsKey].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: %s is not an object of the settings shared by every environment", DefaultsKey, layered.Describe(context[DefaultsKey]))
	}

	src := layered.New(layered.Layer{Name: DefaultsKey, Settings: defaults}, layered.Layer{Name: envPath, Settings: overrides})
	cfg := &Config{Env: env}
	if err := src.Decode(cfg); err != nil {
		return nil, err
	}
	if err := cfg.validate(src); err != nil {
		return nil, err
	}
	return cfg, nil
}

// validator collects every problem of a decoded Config.
type validator struct {
	src      *layered.Source
	problems []string
}

func (v *validator) fail(path, format string, args ...any) {
	v.problems = append(v.problems, v.src.Origin(path)+": "+fmt.Sprintf(format, args...))
}

func (c *Config) validate(src *layered.Source) error {
	v := &validator{src: src}
	if !projectPattern.MatchString(c.Project) {
		v.fail("project", "%q is not a valid project name; use 2 to 20 lowercase letters, digits and hyphens, starting with a letter", c.Project)
	}
	if !accountPattern.MatchString(c.Account) {
		v.fail("account", "%q is not an AWS account id; use its 12 digits", c.Account)
	}
	regionOK := regionPattern.MatchString(c.Region)
	if !regionOK {
		v.fail("region", "%q is not an AWS region name such as us-east-1", c.Region)
	}
	zones := len(c.AvailabilityZones)
	if zones < network.MinZones || zones > network.MaxZones {
		v.fail("availabilityZones", "%q has %d zone(s); list %d to %d zones of the region", c.AvailabilityZones, zones, network.MinZones, network.MaxZones)
	}
	for i, zone := range c.AvailabilityZones {
		path := fmt.Sprintf("availabilityZones[%d]", i)
		switch {
		case slices.Index(c.AvailabilityZones, zone) < i:
			v.fail(path, "%q is listed twice; each zone may appear once", zone)
		case regionOK && !regexp.MustCompile(`^`+regexp.QuoteMeta(c.Region)+`[a-z]$`).MatchString(zone):
			v.fail(path, "%q is not a zone of region %s; use %sa, %sb, ...", zone, c.Region, c.Region, c.Region)
		}
	}
	if c.RemovalPolicy != removeRetain && c.RemovalPolicy != removeDestroy {
		v.fail("removalPolicy", "%q is not allowed; use %q or %q", c.RemovalPolicy, removeRetain, removeDestroy)
	}
	c.Network.validate(v, zones)
	c.Database.validate(v)
	c.Cache.validate(v)
	c.Storage.validate(v)
	c.Django.validate(v)
	c.Registry.validate(v)
	c.Compute.validate(v, c.Region)
	c.validateConnections(v)
	c.validateFrontend(v)
	c.Pipeline.validate(v)
	c.Operations.validate(v)
	c.Compute.validateOperations(v)
	if len(v.problems) > 0 {
		return errors.New(strings.Join(v.problems, "\n"))
	}
	return nil
}

func (n *NetworkConfig) validate(v *validator, zones int) {
	v.check("network.cidr", network.CheckCidr(n.Cidr))
	switch {
	case n.NatGateways < 1:
		v.fail("network.natGateways", "%d is less than 1; the private subnets reach the internet through NAT", n.NatGateways)
	case n.NatGateways > zones:
		v.fail("network.natGateways", "%d is more than the %d availability zones", n.NatGateways, zones)
	}
	v.retention("network.flowLogRetentionDays", n.FlowLogRetentionDays)
}

// retention checks a log retention in days.
func (v *validator) retention(path string, days int) {
	if _, ok := retentionDays[days]; !ok {
		v.fail(path, "%d is not a CloudWatch Logs retention; allowed: %s", days, allowedRetentions())
	}
}

// within checks that n is in [lo, hi]; why says what the bounds are.
func (v *validator) within(path string, n, lo, hi int, why string) {
	if n < lo || n > hi {
		v.fail(path, "%d is outside %d to %d (%s)", n, lo, hi, why)
	}
}

// check records err, if any, at path.
func (v *validator) check(path string, err error) {
	if err != nil {
		v.fail(path, "%v", err)
	}
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

var hostPattern = regexp.MustCompile(`^\.?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

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

// MinUnreleasedDays is the least registry.unreleasedDays: a pipeline's
// manual approval waits up to 7 days, and the build must outlive it.
const MinUnreleasedDays = 8

func (r *RegistryConfig) validate(v *validator) {
	v.within("registry.keepReleases", r.KeepReleases, 2, 1000, "at least the running release and the one before it")
	v.within("registry.unreleasedDays", r.UnreleasedDays, MinUnreleasedDays, 365, "longer than a manual approval can wait, so that an approved build is still there")
	v.within("registry.untaggedDays", r.UntaggedDays, 1, 365, "days")
}

var certificatePattern = regexp.MustCompile(`^arn:aws[a-z-]*:acm:([a-z0-9-]+):[0-9]{12}:certificate/[0-9a-f-]{36}$`)

func (c *ComputeConfig) validate(v *validator, region string) {
	if c.CpuArchitecture != "ARM64" && c.CpuArchitecture != "X86_64" {
		v.fail("compute.cpuArchitecture", "%q is not allowed; use \"ARM64\" (Graviton) or \"X86_64\"", c.CpuArchitecture)
	}
	v.retention("compute.logRetentionDays", c.LogRetentionDays)

	w := &c.Web
	v.check("compute.web.memoryMiB", apptask.CheckSize(w.Cpu, w.MemoryMiB))
	v.within("compute.web.port", w.Port, 1024, 65535, "an unprivileged port: the image runs as a non-root user")
	v.within("compute.web.minTasks", w.MinTasks, 1, 1000, "tasks")
	v.within("compute.web.maxTasks", w.MaxTasks, w.MinTasks, 1000, "from minTasks up")
	if !strings.HasPrefix(w.HealthCheckPath, "/") {
		v.fail("compute.web.healthCheckPath", "%q is not a path starting with /", w.HealthCheckPath)
	}
	if w.HealthCheckGraceSeconds != nil {
		v.within("compute.web.healthCheckGraceSeconds", *w.HealthCheckGraceSeconds, 0, 600, "seconds")
	}
	v.within("compute.web.albIdleTimeoutSeconds", w.AlbIdleTimeoutSeconds, 1, 4000, "the load balancer's range")
	v.within("compute.web.stopTimeoutSeconds", w.StopTimeoutSeconds, 1, apptask.MaxStopTimeoutSeconds, "Fargate's limit")
	v.within("compute.web.cpuTargetPercent", w.CpuTargetPercent, 10, 90, "percent")
	v.within("compute.web.requestsPerTarget", w.RequestsPerTarget, 1, 1000000, "requests per task per minute")
	v.within("compute.web.gunicorn.workers", w.Gunicorn.Workers, 1, 64, "processes per task")
	v.within("compute.web.gunicorn.threads", w.Gunicorn.Threads, 1, 64, "threads per worker")
	keys := map[string]string{
		"RequestBudget": "compute.web.requestBudgetSeconds", "GunicornTimeout": "compute.web.gunicorn.timeoutSeconds",
		"GunicornKeepalive": "compute.web.gunicorn.keepaliveSeconds", "GunicornGracefulTimeout": "compute.web.gunicorn.gracefulTimeoutSeconds",
		"IdleTimeout": "compute.web.albIdleTimeoutSeconds", "DeregistrationDelay": "compute.web.deregistrationDelaySeconds",
		"StopTimeout": "compute.web.stopTimeoutSeconds",
	}
	for _, problem := range djangoweb.CheckTimeouts(w.timeouts(), func(f string) string { return v.src.Origin(keys[f]) }) {
		v.problems = append(v.problems, "timeouts out of order: "+problem)
	}
	if w.CertificateArn != "" {
		if m := certificatePattern.FindStringSubmatch(w.CertificateArn); m == nil {
			v.fail("compute.web.certificateArn", "%q is not an ACM certificate ARN", w.CertificateArn)
		} else if m[1] != region {
			v.fail("compute.web.certificateArn", "%q is in %s; the load balancer needs a certificate in %s", w.CertificateArn, m[1], region)
		}
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
		v.check(path+".name", celeryworker.CheckQueue(q.Name))
		if names[q.Name] {
			v.fail(path+".name", "%q is listed twice; one worker service per queue", q.Name)
		}
		names[q.Name] = true
		v.within(path+".concurrency", q.Concurrency, 1, 256, "tasks at once per worker task")
		v.check(path+".memoryMiB", apptask.CheckSize(q.Cpu, q.MemoryMiB))
		v.within(path+".minTasks", q.MinTasks, 1, 1000, "at least 1: target tracking cannot scale out from zero")
		v.within(path+".maxTasks", q.MaxTasks, q.MinTasks, 1000, "from minTasks up")
		v.within(path+".targetBacklogPerTask", q.TargetBacklogPerTask, 0, 100000, "0 means twice the concurrency")
		v.within(path+".stopTimeoutSeconds", q.StopTimeoutSeconds, 1, apptask.MaxStopTimeoutSeconds, "Fargate's limit; Celery's warm shutdown needs it")
		v.noMigrations(path+".command", q.Command)
		v.filesystem(path, q.ReadonlyRootFilesystem, q.WritablePaths)
	}
	v.check("compute.beat.memoryMiB", apptask.CheckSize(c.Beat.Cpu, c.Beat.MemoryMiB))
	v.noMigrations("compute.beat.command", c.Beat.Command)
	v.filesystem("compute.beat", c.Beat.ReadonlyRootFilesystem, c.Beat.WritablePaths)
	v.check("compute.migration.memoryMiB", apptask.CheckSize(c.Migration.Cpu, c.Migration.MemoryMiB))
	v.filesystem("compute.migration", c.Migration.ReadonlyRootFilesystem, c.Migration.WritablePaths)
	c.validateEgress(v)
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
	if i, err := apptask.CheckWritablePaths(paths); err != nil {
		v.fail(fmt.Sprintf("%s.writablePaths[%d]", path, i), "%v", err)
	} else if readonlyRoot(readonly) && !slices.Contains(paths, "/tmp") {
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

func (w *WebConfig) timeouts() djangoweb.Timeouts {
	return djangoweb.Timeouts{
		RequestBudget: w.RequestBudgetSeconds, GunicornTimeout: w.Gunicorn.TimeoutSeconds,
		GunicornKeepalive: w.Gunicorn.KeepaliveSeconds, GunicornGracefulTimeout: w.Gunicorn.GracefulTimeoutSeconds,
		IdleTimeout: w.AlbIdleTimeoutSeconds, DeregistrationDelay: w.DeregistrationDelaySeconds,
		StopTimeout: w.StopTimeoutSeconds,
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
	total := web + 2 // beat (never two at once) and one migration task
	var queues []string
	for _, q := range c.Compute.Queues {
		tasks := deploying(q.MaxTasks, celeryworker.MaxHealthyPercent)
		total += tasks * q.Concurrency
		queues = append(queues, fmt.Sprintf("%s %d x %d", q.Name, tasks, q.Concurrency))
	}
	budget := int(float64(maxConnections) * connectionMargin)
	if total > budget {
		v.problems = append(v.problems, fmt.Sprintf(
			"%s: connection budget exceeded during a rolling deploy, when each service runs up to %d%% of its maxTasks: web %d tasks x %d workers x %d threads = %d, queues %s, beat 1 and migration 1 make %d connections; %s allows about %d (max_connections), %d with a %d%% margin. "+
				"Lower compute.web.maxTasks, the gunicorn workers or threads, or the queues' maxTasks or concurrency; choose a larger database.instanceClass; or set database.proxy to true",
			v.src.Origin("database.instanceClass"), djangoweb.MaxHealthyPercent, webTasks, w.Gunicorn.Workers, w.Gunicorn.Threads, web,
			strings.Join(queues, ", "), total, c.Database.InstanceClass, maxConnections, budget, int(connectionMargin*100)))
	}
}

var (
	repoPathPattern   = regexp.MustCompile(`^[A-Za-z0-9_.@-]+(/[A-Za-z0-9_.@-]+)*$`)
	prefixListPattern = regexp.MustCompile(`^pl-[0-9a-f]{8,17}$`)
	webACLPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/[A-Za-z0-9_-]+/[0-9a-f-]{36}$`)
)

// cloudFrontReadTimeout is how long CloudFront waits for Django's response
// (its default quota).
const cloudFrontReadTimeout = 60

func (c *Config) validateFrontend(v *validator) {
	f, w := &c.Frontend, &c.Compute.Web
	if _, ok := priceClass[f.PriceClass]; !ok {
		v.fail("frontend.priceClass", "%q is not allowed; use PriceClass_100, PriceClass_200 or PriceClass_All", f.PriceClass)
	}
	v.within("frontend.logDays", f.LogDays, 1, 3650, "days")
	if len(f.DjangoPaths) == 0 {
		v.fail("frontend.djangoPaths", "empty; list the paths Django serves, such as /api/* and /admin/*")
	}
	for i, path := range f.DjangoPaths {
		v.check(fmt.Sprintf("frontend.djangoPaths[%d]", i), frontend.CheckPath(path))
		if path == "/static/*" || path == "/media/*" {
			v.fail(fmt.Sprintf("frontend.djangoPaths[%d]", i), "%q is served from its bucket, not by Django", path)
		}
	}
	names := map[string]bool{}
	for i, app := range f.Apps {
		path := fmt.Sprintf("frontend.apps[%d]", i)
		if err := frontend.CheckName(app.Name); err != nil {
			v.check(path+".name", err)
		} else if names[app.Name] {
			v.fail(path+".name", "%q is listed twice", app.Name)
		}
		names[app.Name] = true
		if !inRepository(app.BuildDir) {
			v.fail(path+".buildDir", "%q is not a folder of the monorepo such as apps/web/dist", app.BuildDir)
		}
		if app.AssetsPath != "" {
			v.check(path+".assetsPath", frontend.CheckPath(app.AssetsPath))
		}
		switch m := certificatePattern.FindStringSubmatch(app.CertificateArn); {
		case (app.DomainName == "") != (app.CertificateArn == ""):
			v.fail(path+".certificateArn", "%q with domainName %q: set both or neither", app.CertificateArn, app.DomainName)
		case app.CertificateArn != "" && m == nil:
			v.fail(path+".certificateArn", "%q is not an ACM certificate ARN", app.CertificateArn)
		case m != nil && m[1] != "us-east-1":
			v.fail(path+".certificateArn", "%q is in %s; CloudFront needs a certificate in us-east-1", app.CertificateArn, m[1])
		}
		if app.DomainName != "" && !hostPattern.MatchString(app.DomainName) {
			v.fail(path+".domainName", "%q is not a domain name", app.DomainName)
		}
		if app.WebACLArn != "" && !webACLPattern.MatchString(app.WebACLArn) {
			v.fail(path+".webAclArn", "%q is not the ARN of a global (us-east-1) WAF web ACL", app.WebACLArn)
		}
	}
	if !c.Fronted() {
		if !w.PublicAlb {
			v.fail("compute.web.publicAlb", "false, but no frontend.apps put CloudFront in front of the load balancer: nobody could reach Django; set it to true or add an app")
		}
		return
	}
	if !prefixListPattern.MatchString(w.CloudFrontPrefixListID) {
		v.fail("compute.web.cloudFrontPrefixListId", "%q is not a prefix list id; use the id of com.amazonaws.global.cloudfront.origin-facing in %s (aws ec2 describe-managed-prefix-lists)", w.CloudFrontPrefixListID, c.Region)
	}
	if w.CertificateArn != "" && !w.PublicAlb && w.OriginDomainName == "" {
		v.fail("compute.web.originDomainName", "empty, but the load balancer has a certificate and only CloudFront reaches it: name the DNS record of the load balancer that the certificate covers")
	}
	if w.OriginDomainName != "" && !hostPattern.MatchString(w.OriginDomainName) {
		v.fail("compute.web.originDomainName", "%q is not a domain name", w.OriginDomainName)
	}
	if len(w.OriginSecretVersions) > djangoweb.MaxOriginHeaderValues {
		v.fail("compute.web.originSecretVersions", "%d versions; the load balancer accepts at most %d at once (the new one and the one it replaces)", len(w.OriginSecretVersions), djangoweb.MaxOriginHeaderValues)
	}
	for i, version := range w.OriginSecretVersions {
		if !secretVersionPattern.MatchString(version) {
			v.fail(fmt.Sprintf("compute.web.originSecretVersions[%d]", i), "%q is not a Secrets Manager version id (the VersionId that put-secret-value prints)", version)
		}
	}
	switch {
	case w.OriginDomainName != "" && w.CertificateArn == "":
		v.fail("compute.web.certificateArn", "empty, but compute.web.originDomainName %q makes CloudFront reach the load balancer over HTTPS: give the certificate that covers that name", w.OriginDomainName)
	case w.OriginDomainName == "" && !w.PlainHTTPOrigin:
		v.fail("compute.web.originDomainName", "empty: CloudFront would reach the load balancer over plain HTTP, and session cookies, CSRF tokens and the origin secret would cross that leg in clear text. "+
			"Set compute.web.certificateArn and originDomainName (a DNS name the certificate covers, pointing at the load balancer); only a disposable environment may set compute.web.plainHttpOrigin: true instead")
	case w.OriginDomainName != "" && w.PlainHTTPOrigin:
		v.fail("compute.web.plainHttpOrigin", "true, but compute.web.originDomainName %q makes the origin HTTPS: remove one", w.OriginDomainName)
	}
	if w.RequestBudgetSeconds >= cloudFrontReadTimeout {
		v.fail("compute.web.requestBudgetSeconds", "%d is not below CloudFront's %d s wait for a response; requests that slow fail at the edge", w.RequestBudgetSeconds, cloudFrontReadTimeout)
	}
}

var (
	emailPattern     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[a-z]{2,}$`)
	gitBranchPattern = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
)

// inRepository reports whether path is a relative path that stays inside
// the monorepo.
func inRepository(path string) bool {
	return repoPathPattern.MatchString(path) && !slices.Contains(strings.Split(path, "/"), "..")
}

func (p *PipelineConfig) validate(v *validator) {
	v.check("pipeline.connectionArn", releasepipeline.CheckConnection(p.ConnectionArn))
	v.check("pipeline.repository", releasepipeline.CheckRepository(p.Repository))
	if !gitBranchPattern.MatchString(p.Branch) || strings.Contains(p.Branch, "..") {
		v.fail("pipeline.branch", "%q is not a branch name", p.Branch)
	}
	for _, path := range []struct{ key, value string }{{"pipeline.dockerfile", p.Dockerfile}, {"pipeline.dockerContext", p.DockerContext}} {
		if path.value != "." && !inRepository(path.value) {
			v.fail(path.key, "%q is not a path inside the monorepo", path.value)
		}
	}
	if p.CheckMigrationsSettings != "" && !dottedPattern.MatchString(p.CheckMigrationsSettings) {
		v.fail("pipeline.checkMigrationsSettings", "%q is not a Python module path such as config.settings.test", p.CheckMigrationsSettings)
	}
	v.check("pipeline.nodeVersion", releasepipeline.CheckNodeVersion(p.NodeVersion))
	v.within("pipeline.taskTimeoutMinutes", p.TaskTimeoutMinutes, 1, releasepipeline.MaxTimeoutMinutes, "a one-off task is stopped at this limit")
	v.within("pipeline.deployTimeoutMinutes", p.DeployTimeoutMinutes, releasepipeline.MinDeployTimeoutMinutes, releasepipeline.MaxTimeoutMinutes,
		"a rolling deploy of every service must fit")
	for i, email := range p.NotificationEmails {
		if !emailPattern.MatchString(email) {
			v.fail(fmt.Sprintf("pipeline.notificationEmails[%d]", i), "%q is not an email address", email)
		}
	}
	v.retention("pipeline.logRetentionDays", p.LogRetentionDays)
}

// percent checks a percentage threshold.
func (v *validator) percent(path string, value float64) {
	if value <= 0 || value >= 100 {
		v.fail(path, "%g is not a percentage between 0 and 100", value)
	}
}

// positive checks a threshold that must be above zero.
func (v *validator) positive(path string, value float64) {
	if value <= 0 {
		v.fail(path, "%g is not above 0", value)
	}
}

func (o *OperationsConfig) validate(v *validator) {
	for i, email := range o.AlarmEmails {
		if !emailPattern.MatchString(email) {
			v.fail(fmt.Sprintf("operations.alarmEmails[%d]", i), "%q is not an email address", email)
		}
	}
	for _, t := range []struct {
		key   string
		value float64
	}{{"alb5xxPercent", o.Alb5xxPercent}, {"target5xxPercent", o.Target5xxPercent}, {"serviceCpuPercent", o.ServiceCpuPercent},
		{"serviceMemoryPercent", o.ServiceMemoryPercent}, {"databaseCpuPercent", o.DatabaseCpuPercent},
		{"databaseFreeStoragePercent", o.DatabaseFreeStoragePct}, {"databaseFreeMemoryPercent", o.DatabaseFreeMemoryPct},
		{"databaseConnectionsPercent", o.DatabaseConnectionsPct}, {"cacheCpuPercent", o.CacheCpuPercent}, {"cacheMemoryPercent", o.CacheMemoryPercent}} {
		v.percent("operations."+t.key, t.value)
	}
	v.positive("operations.latencyP95Seconds", o.LatencyP95Seconds)
	v.positive("operations.latencyP99Seconds", o.LatencyP99Seconds)
	v.positive("operations.queueDepth", o.QueueDepth)
	v.positive("operations.queueAgeSeconds", o.QueueAgeSeconds)
	if o.LatencyP99Seconds < o.LatencyP95Seconds {
		v.fail("operations.latencyP99Seconds", "%g is below operations.latencyP95Seconds (%g)", o.LatencyP99Seconds, o.LatencyP95Seconds)
	}
}

func (c *ComputeConfig) validateOperations(v *validator) {
	if d := c.Web.DeploymentAlarms; d.Enabled {
		v.positive("compute.web.deploymentAlarms.target5xxPerMinute", d.Target5xxPerMinute)
		v.positive("compute.web.deploymentAlarms.latencyP95Seconds", d.LatencyP95Seconds)
	}
	if t := c.Tracing; t.Enabled {
		if !strings.Contains(t.CollectorImage, ":") || strings.HasSuffix(t.CollectorImage, ":latest") {
			v.fail("compute.tracing.collectorImage", "%q does not pin a version (image:tag, not latest)", t.CollectorImage)
		}
		if t.SampleRatio <= 0 || t.SampleRatio > 1 {
			v.fail("compute.tracing.sampleRatio", "%g is not a ratio above 0 and at most 1", t.SampleRatio)
		}
	}
}

func allowedRetentions() string {
	days := make([]int, 0, len(retentionDays))
	for d := range retentionDays {
		days = append(days, d)
	}
	sort.Ints(days)
	s := make([]string, len(days))
	for i, d := range days {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, ", ")
}
