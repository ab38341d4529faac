package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/appsettings"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/cache"
)

// originSecretVersions returns the versions of the origin secret the
// listener accepts, the first being the one CloudFront sends: the
// configured version ids, or "" (the current version) when none is set.
func originSecretVersions(configured []string) []string {
	if len(configured) == 0 {
		return []string{""}
	}
	return configured
}

// originSecretValue is a dynamic reference to version of the origin secret
// at arn ("" for the current one). Naming the version is what makes
// CloudFormation resolve it again: it re-reads a dynamic reference only
// when the property that holds it changes.
func originSecretValue(arn *string, version string) *string {
	options := &awscdk.SecretsManagerSecretOptions{}
	if version != "" {
		options.VersionId = jsii.String(version)
	}
	return awscdk.SecretValue_SecretsManager(arn, options).UnsafeUnwrap()
}

// containerSettings returns the variables every Django container receives:
// plain values for what is not secret and does not come from the Data
// stack, Secrets Manager fields for secrets, SSM parameters for the rest.
func containerSettings(stack awscdk.Stack, cfg *Config, data *DataStack) (map[string]string, map[string]awsecs.Secret) {
	// The viewer's scheme: CloudFront's own header when it fronts the app
	// (the load balancer overwrites X-Forwarded-Proto with the scheme of
	// CloudFront's connection to it), else the load balancer's.
	proxySSLHeader := "HTTP_X_FORWARDED_PROTO"
	if cfg.Fronted() {
		proxySSLHeader = "HTTP_CLOUDFRONT_FORWARDED_PROTO"
	}
	environment := map[string]string{
		"DJANGO_SETTINGS_MODULE": cfg.Django.SettingsModule,
		"DJANGO_ADMIN_URL":       cfg.Django.AdminURL,
		ProxySSLHeaderVariable:   proxySSLHeader,
	}
	for name, value := range cfg.Django.Environment { // validated: no reserved name
		environment[name] = value
	}
	field := awsecs.Secret_FromSecretsManager
	django := data.Secret(stack, "DjangoSecret", data.Settings.DjangoSecret())
	database := data.Secret(stack, "DatabaseSecret", data.Database.Secret())
	cacheURL := data.Secret(stack, "CacheUrlSecret", data.Cache.URLSecret())
	secrets := map[string]awsecs.Secret{
		"DJANGO_SECRET_KEY": field(django, jsii.String(appsettings.SecretKeyField)),
		"POSTGRES_USER":     field(database, jsii.String("username")),
		"POSTGRES_PASSWORD": field(database, jsii.String("password")),
		// Complete URLs, AUTH token included, as the template's settings read them.
		"REDIS_URL":         field(cacheURL, jsii.String(cache.URLField)),
		"CELERY_BROKER_URL": field(cacheURL, jsii.String(cache.URLField)),
	}
	if len(cfg.Django.ThirdPartySecrets) > 0 {
		thirdParty := data.Secret(stack, "ThirdPartySecret", data.Settings.ThirdPartySecret())
		for _, name := range cfg.Django.ThirdPartySecrets {
			secrets[name] = field(thirdParty, jsii.String(name))
		}
	}
	for _, name := range data.Settings.ParameterNames() {
		secrets[name] = awsecs.Secret_FromSsmParameter(data.Parameter(stack, name))
	}
	return environment, secrets
}

// suppressComputeFindings records why the cdk-nag findings on the Compute
// stack do not apply.
func suppressComputeFindings(c *ComputeStack) {
	suppress((*c.Web.LoadBalancer().Connections().SecurityGroups())[0], "AwsSolutions-EC23",
		"The internet-facing load balancer of a public web app accepts HTTP(S) from anywhere; the tasks behind it accept only the load balancer.")
	tasks := []*apptask.AppTask{c.Web.Task(), c.Beat.Task(), c.Migration.Task(), c.StaticFiles.Task()}
	for _, w := range c.Workers {
		tasks = append(tasks, w.Task())
	}
	for _, j := range c.Jobs {
		tasks = append(tasks, j.Task())
	}
	for _, t := range tasks {
		suppress(t.TaskDefinition(), "AwsSolutions-ECS2",
			"Only non-secret process settings are plain variables (DJANGO_SETTINGS_MODULE, DJANGO_ADMIN_URL, GUNICORN_*); secrets come from Secrets Manager and the data layer's settings from SSM.")
		suppressWildcards(t.TaskDefinition().ExecutionRole(),
			"ecr:GetAuthorizationToken has no resource-level permissions; pulling is limited to the app's repository.",
			"Resource::*")
	}
	suppressWildcards(c.TaskRole,
		"Object-level access to the app's own buckets (media read, write and delete of current versions; static read) and read access to its own parameter path; no other bucket or parameter.",
		matching(`/^Resource::arn:aws:s3:::<SsmParameterValue[a-z0-9]+DJANGOAWSSTORAGEBUCKETNAME[0-9A-F]+Parameter>\/\*$/g`),
		matching(`/^Resource::arn:aws:s3:::<SsmParameterValue[a-z0-9]+DJANGOAWSSTATICBUCKETNAME[0-9A-F]+Parameter>\/\*$/g`),
		matching(`/^Resource::arn:aws:ssm:[a-z0-9-]+:[0-9]{12}:parameter\/[a-z0-9-]+\/[a-z0-9]+\/\*$/g`))
	suppressWildcards(c.TaskRole,
		"ECS Exec's ssmmessages channels and X-Ray's trace APIs take no resource-level permissions; the session log streams are in the exec log group only.",
		"Resource::*",
		matching(`/^Resource::arn:aws:logs:[a-z0-9-]+:[0-9]{12}:log-group:<ExecLogs[0-9A-F]{8}>:\*$/g`))
	suppressWildcards(c.StaticFiles.Role(),
		"Object-level access to the static bucket only: collectstatic reads what is there and puts what changed (no delete).",
		"Action::s3:Abort*", "Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*",
		matching(`/^Resource::arn:aws:s3:::<SsmParameterValue[a-z0-9]+DJANGOAWSSTATICBUCKETNAME[0-9A-F]+Parameter>\/\*$/g`))
	for _, j := range c.Jobs {
		suppressWildcards(j.Runner().Role(),
			"The overlap guard's ecs:ListTasks authorizes no resource ARN for Fargate tasks and is limited to the cluster by an ecs:cluster condition; "+
				"X-Ray and CloudWatch Logs delivery take no resource; a timed-out run stops its tasks in this cluster only.",
			"Resource::*",
			matching(`/^Resource::arn:aws:ecs:[a-z0-9-]+:[0-9]{12}:task\/<Cluster[0-9A-F]{8}>\/\*$/g`))
	}
	suppressWildcards(c.QueueMetrics.Role(),
		"cloudwatch:PutMetricData takes no resource (the policy limits it to the Celery namespace), nor do the network interface actions Lambda needs in a VPC.",
		"Resource::*")
}
