// Package stacks holds djangocdk's per-environment configuration and the
// stacks that wire the constructs of this module into one deployment.
package stacks

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/djangocdk/djangocdk/constructs/network"
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

// validator collects every problem of a decoded Config.
type validator struct {
	src      *layered.Source
	problems []string
}

func (v *validator) fail(path, format string, args ...any) {
	v.problems = append(v.problems, v.src.Origin(path)+": "+fmt.Sprintf(format, args...))
}

// validate returns every problem of c, each naming the key path where
// src set the value.
func (c *Config) validate(src *layered.Source) []string {
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
	v.retention("database.logRetentionDays", c.Database.LogRetentionDays)
	v.retention("cache.logRetentionDays", c.Cache.LogRetentionDays)
	c.Django.validate(v)
	c.Registry.validate(v)
	c.Compute.validate(v, c.Region)
	c.validateProps(v)
	c.validateConnections(v)
	c.validateFrontend(v)
	c.Pipeline.validate(v)
	c.Operations.validate(v)
	c.Compute.validateOperations(v)
	// A shared key (compute.tracing.sampleRatio in every traced task) is
	// reported once.
	var problems []string
	for _, p := range v.problems {
		if !slices.Contains(problems, p) {
			problems = append(problems, p)
		}
	}
	return problems
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

var hostPattern = regexp.MustCompile(`^\.?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

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
