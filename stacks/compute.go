package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/cache"
	"github.com/djangocdk/djangocdk/constructs/celerybeat"
	"github.com/djangocdk/djangocdk/constructs/celeryworker"
	"github.com/djangocdk/djangocdk/constructs/djangoweb"
	"github.com/djangocdk/djangocdk/constructs/migration"
	"github.com/djangocdk/djangocdk/constructs/network"
	"github.com/djangocdk/djangocdk/constructs/queuemetrics"
	"github.com/djangocdk/djangocdk/constructs/scheduledjob"
	"github.com/djangocdk/djangocdk/constructs/staticfiles"
)

// ComputeLayer is the layer name of the Compute stack.
const ComputeLayer = "compute"

// ComputeStack runs the Django app on ECS Fargate.
type ComputeStack struct {
	// Stack is the CloudFormation stack.
	Stack awscdk.Stack
	// Cluster runs every service and task.
	Cluster awsecs.Cluster
	// Web is the web service behind the load balancer.
	Web *djangoweb.Service
	// Workers are the Celery worker services, in the order of compute.queues.
	Workers []*celeryworker.Worker
	// Beat is the Celery beat service.
	Beat *celerybeat.Beat
	// Migration is the one-off migration task.
	Migration *migration.Migration
	// StaticFiles is the one-off collectstatic task, the one writer of the
	// static bucket.
	StaticFiles *staticfiles.Publisher
	// Jobs are the scheduled jobs, in the order of compute.jobs.
	Jobs []*scheduledjob.Job
	// QueueMetrics publishes the queues' depth and backlog per task.
	QueueMetrics *queuemetrics.QueueMetrics
	// TaskRole is what the app may do, shared by all its containers.
	TaskRole awsiam.Role
	// ImagePushed is true once the image tag parameter names an image.
	ImagePushed awscdk.CfnCondition
	// OriginSecret is the value of OriginHeader that CloudFront must send;
	// nil when the load balancer is public.
	OriginSecret awssecretsmanager.ISecret
	// DeployTimeParameters are the SSM parameters this stack's template
	// reads at deploy time: whoever updates the stack must be able to read them.
	DeployTimeParameters []string
	// Shared names the SSM parameters through which later stacks read this
	// stack's generated names (see shared.go).
	Shared ComputeShared

	// tasks are the processes' tasks by process name.
	tasks map[string]*apptask.AppTask
}

// ComputeShared names the SSM parameters that hold the Compute stack's
// generated names and ARNs, which later stacks join into ARNs, metric
// dimensions and variables.
type ComputeShared struct {
	ClusterName string
	// ServiceNames by role: "web", "beat", "worker-<queue>".
	ServiceNames map[string]string
	// LoadBalancerFullName and TargetGroupFullName are the web service's
	// metric dimensions (app/<name>/<id>, targetgroup/<name>/<id>).
	LoadBalancerFullName, TargetGroupFullName string
	// OriginSecretArn is "" when the load balancer is public.
	OriginSecretArn string
	// JobRunnerArns by job name: the ARNs of the jobs' state machines,
	// whose metrics are the jobs' runs and failures.
	JobRunnerArns map[string]string
}

// Read returns the value of the SSM parameter name, one of Shared's, as
// stack's CloudFormation reads it at deploy time.
func (c *ComputeStack) Read(stack awscdk.Stack, name string) *string {
	return readShared(stack, c.Stack, name)
}

// OriginHeader is the header by which the load balancer knows CloudFront.
const OriginHeader = "X-Origin-Verify"

// ProxySSLHeaderVariable names the plain variable that holds the request
// header (as Django's META key) carrying the viewer's scheme, for
// SECURE_PROXY_SSL_HEADER = (env(ProxySSLHeaderVariable), "https").
const ProxySSLHeaderVariable = "DJANGO_SECURE_PROXY_SSL_HEADER"

// Variables the containers receive that djangocdk sets itself; the
// third-party secret's fields may not reuse them.
var reservedVariables = map[string]bool{
	"DJANGO_SETTINGS_MODULE": true, "DJANGO_ADMIN_URL": true, "DJANGO_SECRET_KEY": true, ProxySSLHeaderVariable: true,
	"POSTGRES_USER": true, "POSTGRES_PASSWORD": true, "REDIS_URL": true, "CELERY_BROKER_URL": true,
	ParamAllowedHosts: true, ParamPostgresHost: true, ParamPostgresPort: true, ParamPostgresDB: true,
	ParamMediaBucket: true, ParamStaticBucket: true, ParamBucketsRegion: true,
	"GUNICORN_WORKERS": true, "GUNICORN_THREADS": true, "GUNICORN_TIMEOUT": true, "GUNICORN_KEEPALIVE": true,
	"GUNICORN_GRACEFUL_TIMEOUT": true, "GUNICORN_CMD_ARGS": true,
}

// NewComputeStack creates the Compute stack of cfg's environment: the
// cluster, the app's task role and, for each of cfg.Processes(), its kind's
// construct.
func NewComputeStack(scope constructs.Construct, cfg *Config, net *NetworkStack, data *DataStack, registry *RegistryStack) (*ComputeStack, error) {
	stack := newStack(scope, cfg, ComputeLayer, "Django web, Celery workers and beat, and the migration task on ECS Fargate")
	// The image tag is read from SSM at deploy time, not written into the
	// template: a later "cdk deploy" runs the tag the last release set
	// instead of rolling the services back (aws-cdk#14437).
	stack.AddStackDependency(registry.Stack, jsii.String("reads the image tag parameter"))
	imageTag := awsssm.StringParameter_ValueForStringParameter(stack, jsii.String(registry.ImageTagParameterName), nil)
	imagePushed := awscdk.NewCfnCondition(stack, jsii.String("ImagePushed"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(imageTag, NoImage)),
	})
	awscdk.NewCfnRule(stack, jsii.String("ImageTagIsACommit"), &awscdk.CfnRuleProps{
		Assertions: &[]*awscdk.CfnRuleAssertion{{
			Assert:            awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(imageTag, "latest")),
			AssertDescription: jsii.String(registry.ImageTagParameterName + " is \"latest\"; it must name a git commit"),
		}},
	})
	cluster, execLogs := newCluster(stack, cfg, net)
	taskRole, staticBucket := newAppTaskRole(stack, cfg, data)
	c := &ComputeStack{
		Stack: stack, Cluster: cluster, TaskRole: taskRole, ImagePushed: imagePushed, tasks: map[string]*apptask.AppTask{},
		DeployTimeParameters: append([]string{registry.ImageTagParameterName}, data.SharedParameters()...),
	}
	b := &computeBuild{
		stack: stack, cfg: cfg, data: data, out: c, staticBucket: staticBucket,
		groups:  data.TaskSecurityGroups.importedInto(stack, cfg.processKinds()),
		private: &awsec2.SubnetSelection{SubnetGroupName: jsii.String(network.PrivateSubnets)},
		base:    appTaskBase(stack, cfg, data, registry, imageTag, taskRole),
	}
	b.tasks, b.publicIP = network.TaskSubnets(cfg.Network.Nat)
	var err error
	c.QueueMetrics, err = queuemetrics.New(stack, "QueueMetrics", &queuemetrics.Props{
		Vpc:           net.Vpc,
		Subnets:       b.private,
		SecurityGroup: b.groups.QueueMetrics,
		BrokerHost:    data.Cache.Host(),
		BrokerPort:    cache.Port,
		BrokerSecret:  data.Cache.Secret(),
		Cluster:       cluster,
		LogRetention:  Retention(cfg.Compute.LogRetentionDays),
		RemovalPolicy: cfg.Removal(),
	})
	if err != nil {
		return nil, err
	}
	c.Shared = ComputeShared{ServiceNames: map[string]string{}, JobRunnerArns: map[string]string{}}
	for _, p := range cfg.Processes() {
		service, err := b.add(p)
		if err != nil {
			return nil, err
		}
		if service != nil {
			c.Shared.ServiceNames[p.Name] = share(stack, cfg, ComputeLayer, ServiceNameKey(p.Name), service.ServiceName())
		}
	}

	if c.OriginSecret != nil {
		// Behind CloudFront the load balancer refuses requests that bypass
		// it (403): the Frontend stack's DjangoAddress is the address to use.
		output(stack, "OriginUrl", "The load balancer, CloudFront's origin: it answers 403 to requests that do not come through CloudFront (use the Frontend stack's DjangoAddress)", c.Web.URL())
	} else {
		output(stack, "WebUrl", "The web service at the load balancer", c.Web.URL())
	}
	for _, p := range cfg.Processes() {
		output(stack, exportName(p.Name)+"LogGroup", "Log group of the "+p.Name+" containers", c.tasks[p.Name].LogGroup().LogGroupName())
	}
	output(stack, "StaticLogGroup", "Log group of the static containers", c.StaticFiles.Task().LogGroup().LogGroupName())
	output(stack, "ClusterName", "The ECS cluster", cluster.ClusterName())
	if execLogs != nil {
		output(stack, "ShellCommand", "Opens manage.py shell in a running web task (ECS Exec, encrypted and logged)", awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("aws ecs execute-command --cluster "), cluster.ClusterName(),
			jsii.String(" --container " + apptask.ContainerName + " --interactive --command 'python manage.py shell' --task $(aws ecs list-tasks --cluster "),
			cluster.ClusterName(), jsii.String(" --service-name "), c.Web.Service().ServiceName(),
			jsii.String(" --query 'taskArns[0]' --output text)"),
		}))
	}
	shared := func(key string, value *string) string { return share(stack, cfg, ComputeLayer, key, value) }
	c.Shared.ClusterName = shared(ClusterNameKey, cluster.ClusterName())
	c.Shared.LoadBalancerFullName = shared("LoadBalancerFullName", c.Web.LoadBalancer().LoadBalancerFullName())
	c.Shared.TargetGroupFullName = shared("TargetGroupFullName", c.Web.TargetGroup().TargetGroupFullName())
	if c.OriginSecret != nil {
		c.Shared.OriginSecretArn = shared("OriginSecretArn", c.OriginSecret.SecretArn())
		suppress(c.OriginSecret, "AwsSolutions-SMG4",
			"Rotated by the two-step procedure of compute.web.originSecretVersions (README): CloudFront and the listener read it only when their template changes, which a rotation function cannot make happen.")
	}
	suppressComputeFindings(c)
	return c, nil
}
