package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
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

// NewComputeStack creates the Compute stack of cfg's environment.
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
	image := awsecs.ContainerImage_FromEcrRepository(registry.ImportRepository(stack), imageTag)

	clusterProps := &awsecs.ClusterProps{
		Vpc:                            net.Vpc,
		ContainerInsightsV2:            awsecs.ContainerInsights_ENABLED,
		EnableFargateCapacityProviders: jsii.Bool(true),
	}
	var execLogs awslogs.LogGroup
	if cfg.Compute.ExecuteCommand {
		// ECS Exec sessions (manage.py shell) are encrypted with this key
		// and every command and its output is logged.
		execKey := awskms.NewKey(stack, jsii.String("ExecKey"), &awskms.KeyProps{
			Description:       jsii.String("Encrypts ECS Exec sessions of " + cfg.StackName(ComputeLayer)),
			EnableKeyRotation: jsii.Bool(true),
			RemovalPolicy:     cfg.Removal(),
		})
		execLogs = awslogs.NewLogGroup(stack, jsii.String("ExecLogs"), &awslogs.LogGroupProps{
			Retention:     Retention(cfg.Compute.LogRetentionDays),
			RemovalPolicy: cfg.Removal(),
			EncryptionKey: execKey,
		})
		execKey.GrantEncryptDecrypt(awsiam.NewServicePrincipal(jsii.String("logs."+cfg.Region+".amazonaws.com"), nil))
		clusterProps.ExecuteCommandConfiguration = &awsecs.ExecuteCommandConfiguration{
			KmsKey:  execKey,
			Logging: awsecs.ExecuteCommandLogging_OVERRIDE,
			LogConfiguration: &awsecs.ExecuteCommandLogConfiguration{
				CloudWatchLogGroup:          execLogs,
				CloudWatchEncryptionEnabled: jsii.Bool(true),
			},
		}
	}
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), clusterProps)

	taskRole := awsiam.NewRole(stack, jsii.String("AppTaskRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
		Description: jsii.String("What the Django app may do: its buckets and its parameters"),
	})
	// Exactly what django-storages does: read, write and delete the current
	// version of uploads (never DeleteObjectVersion: the media bucket's
	// versions are what undoes a mistaken delete), list them, read the
	// static files; and read the app's parameters. The buckets' names are
	// generated: read from the settings parameters that hold them, at
	// deploy time.
	allow := func(actions []string, resources ...*string) {
		taskRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: &resources}))
	}
	mediaBucket := data.Bucket(stack, "MediaBucket", ParamMediaBucket)
	staticBucket := data.Bucket(stack, "StaticBucket", ParamStaticBucket)
	allow([]string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}, mediaBucket.ArnForObjects(jsii.String("*")))
	allow([]string{"s3:GetObject"}, staticBucket.ArnForObjects(jsii.String("*")))
	allow([]string{"s3:ListBucket"}, mediaBucket.BucketArn(), staticBucket.BucketArn())
	parameter := func(name string) *string {
		return awscdk.Stack_Of(stack).FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ssm"), Resource: jsii.String("parameter"), ResourceName: jsii.String(name),
		})
	}
	parameterPath := cfg.Project + "/" + cfg.Env
	allow([]string{"ssm:GetParameter", "ssm:GetParameters"}, parameter(parameterPath+"/*"))
	allow([]string{"ssm:GetParametersByPath"}, parameter(parameterPath)) // authorized on the path itself

	arch := awsecs.CpuArchitecture_ARM64()
	if cfg.Compute.CpuArchitecture == "X86_64" {
		arch = awsecs.CpuArchitecture_X86_64()
	}
	environment, secrets := containerSettings(stack, cfg, data)
	tracing := func(process string) *apptask.Tracing {
		if !cfg.Compute.Tracing.Enabled || process == "" {
			return nil
		}
		return &apptask.Tracing{
			Service:        cfg.Project + "-" + process,
			CollectorImage: cfg.Compute.Tracing.CollectorImage,
			SampleRatio:    cfg.Compute.Tracing.SampleRatio,
		}
	}
	if cfg.Compute.Tracing.Enabled {
		taskRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"),
			Resources: jsii.Strings("*"), // X-Ray takes no resource-level permissions
		}))
	}
	// task returns the task of process ("" for the migration, which is not traced).
	task := func(process string, size TaskConfig, command []string) apptask.Props {
		return apptask.Props{
			WritableRootFilesystem: !readonlyRoot(size.ReadonlyRootFilesystem),
			WritablePaths:          size.WritablePaths, // nil: /tmp
			Tracing:                tracing(process),
			Image:                  image,
			Command:                command,
			Cpu:                    size.Cpu,
			MemoryMiB:              size.MemoryMiB,
			CpuArchitecture:        arch,
			Environment:            environment,
			Secrets:                secrets,
			TaskRole:               taskRole,
			LogRetention:           Retention(cfg.Compute.LogRetentionDays),
			RemovalPolicy:          cfg.Removal(),
		}
	}
	private := &awsec2.SubnetSelection{SubnetGroupName: jsii.String(network.PrivateSubnets)}
	groups := data.TaskSecurityGroups.importedInto(stack)
	w := cfg.Compute.Web

	// Behind CloudFront, the load balancer admits only CloudFront's
	// addresses, and only requests that carry the secret header CloudFront
	// adds: nobody can bypass the edge.
	var originSecret awssecretsmanager.Secret
	var originPrefixList string
	if cfg.Fronted() && !w.PublicAlb {
		originPrefixList = w.CloudFrontPrefixListID
		originSecret = awssecretsmanager.NewSecret(stack, jsii.String("OriginVerify"), &awssecretsmanager.SecretProps{
			Description: jsii.String("Value of the " + OriginHeader + " header CloudFront adds and the load balancer requires"),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				ExcludePunctuation: jsii.Bool(true),
				PasswordLength:     jsii.Number(48),
			},
		})
	}

	webTask := task("web", TaskConfig{Cpu: w.Cpu, MemoryMiB: w.MemoryMiB, ReadonlyRootFilesystem: w.ReadonlyRootFilesystem, WritablePaths: w.WritablePaths}, w.Command)
	webTask.Port = w.Port
	webTask.StopTimeoutSeconds = w.StopTimeoutSeconds
	webProps := &djangoweb.Props{
		Cluster: cluster,
		Task:    webTask,
		Gunicorn: djangoweb.Gunicorn{
			Workers: w.Gunicorn.Workers, Threads: w.Gunicorn.Threads, TimeoutSeconds: w.Gunicorn.TimeoutSeconds,
			KeepaliveSeconds: w.Gunicorn.KeepaliveSeconds, GracefulTimeoutSeconds: w.Gunicorn.GracefulTimeoutSeconds,
		},
		SecurityGroup:              groups.Web,
		TaskSubnets:                private,
		MinTasks:                   w.MinTasks,
		MaxTasks:                   w.MaxTasks,
		RunCondition:               imagePushed,
		HealthCheckPath:            w.HealthCheckPath,
		HealthCheckGraceSeconds:    w.HealthCheckGraceSeconds,
		RequestBudgetSeconds:       w.RequestBudgetSeconds,
		IdleTimeoutSeconds:         w.AlbIdleTimeoutSeconds,
		DeregistrationDelaySeconds: w.DeregistrationDelaySeconds,
		CertificateArn:             w.CertificateArn,
		CpuTargetPercent:           w.CpuTargetPercent,
		RequestsPerTarget:          w.RequestsPerTarget,
		AccessLogBucket:            data.Storage.AccessLogs(),
		OriginPrefixListID:         originPrefixList,
		ExecuteCommand:             cfg.Compute.ExecuteCommand,
		// Kept environments keep their load balancer: its name is what
		// CloudFront and DNS point at.
		DeletionProtection: cfg.Removal() != awscdk.RemovalPolicy_DESTROY,
	}
	if d := w.DeploymentAlarms; d.Enabled {
		webProps.DeploymentAlarms = &djangoweb.DeploymentAlarms{
			NamePrefix:         cfg.StackName("web"),
			Target5xxPerMinute: d.Target5xxPerMinute,
			LatencyP95Seconds:  d.LatencyP95Seconds,
		}
	}
	if originSecret != nil {
		webProps.OriginHeader = OriginHeader
		for _, version := range originSecretVersions(w.OriginSecretVersions) {
			webProps.OriginHeaderValues = append(webProps.OriginHeaderValues, originSecretValue(originSecret.SecretArn(), version))
		}
	}
	web, err := djangoweb.New(stack, "Web", webProps)
	if err != nil {
		return nil, err
	}

	metrics, err := queuemetrics.New(stack, "QueueMetrics", &queuemetrics.Props{
		Vpc:           net.Vpc,
		Subnets:       private,
		SecurityGroup: groups.QueueMetrics,
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
	var workers []*celeryworker.Worker
	for _, q := range cfg.Compute.Queues {
		workerTask := task("worker-"+q.Name, TaskConfig{Cpu: q.Cpu, MemoryMiB: q.MemoryMiB, ReadonlyRootFilesystem: q.ReadonlyRootFilesystem, WritablePaths: q.WritablePaths}, q.Command)
		workerTask.StopTimeoutSeconds = q.StopTimeoutSeconds
		worker, err := celeryworker.New(stack, "Worker-"+q.Name, &celeryworker.Props{
			Cluster:              cluster,
			Queue:                q.Name,
			Concurrency:          q.Concurrency,
			CeleryApp:            cfg.Django.CeleryApp,
			Task:                 workerTask,
			BacklogPerTask:       metrics.BacklogPerTask(q.Name),
			TargetBacklogPerTask: q.TargetBacklogPerTask,
			MinTasks:             q.MinTasks,
			MaxTasks:             q.MaxTasks,
			Spot:                 q.Spot,
			SecurityGroup:        groups.Worker,
			Subnets:              private,
			RunCondition:         imagePushed,
		})
		if err != nil {
			return nil, err
		}
		metrics.AddQueue(q.Name, worker.Service())
		workers = append(workers, worker)
	}

	beat, err := celerybeat.New(stack, "Beat", &celerybeat.Props{
		Cluster:       cluster,
		CeleryApp:     cfg.Django.CeleryApp,
		Task:          task("beat", cfg.Compute.Beat, cfg.Compute.Beat.Command),
		SecurityGroup: groups.Beat,
		Subnets:       private,
		RunCondition:  imagePushed,
	})
	if err != nil {
		return nil, err
	}

	// The release runs both one-off tasks with the migration's security
	// group, in the private subnets.
	migrationTask := task("", cfg.Compute.Migration, cfg.Compute.Migration.Command)
	migrationTask.Family = cfg.StackName("migrate")
	migrate, err := migration.New(stack, "Migration", &migration.Props{Task: migrationTask})
	if err != nil {
		return nil, err
	}
	staticTask := task("", cfg.Compute.Migration, nil) // the migration's size and filesystem
	staticTask.Family = cfg.StackName("static")
	staticTask.TaskRole = nil // its own role: the one writer of the static bucket
	static, err := staticfiles.New(stack, "StaticFiles", &staticfiles.Props{Task: staticTask, Bucket: staticBucket})
	if err != nil {
		return nil, err
	}

	if originSecret != nil {
		// Behind CloudFront the load balancer refuses requests that bypass
		// it (403): the Frontend stack's DjangoAddress is the address to use.
		output(stack, "OriginUrl", "The load balancer, CloudFront's origin: it answers 403 to requests that do not come through CloudFront (use the Frontend stack's DjangoAddress)", web.URL())
	} else {
		output(stack, "WebUrl", "The web service at the load balancer", web.URL())
	}
	logGroups := []struct{ process, name string }{{"Web", "web"}, {"Beat", "beat"}, {"Migrate", "migrate"}, {"Static", "static"}}
	tasks := map[string]*apptask.AppTask{"web": web.Task(), "beat": beat.Task(), "migrate": migrate.Task(), "static": static.Task()}
	for i, w := range workers {
		q := cfg.Compute.Queues[i].Name
		logGroups = append(logGroups, struct{ process, name string }{"Worker" + exportName(q), "worker-" + q})
		tasks["worker-"+q] = w.Task()
	}
	for _, g := range logGroups {
		output(stack, g.process+"LogGroup", "Log group of the "+g.name+" containers", tasks[g.name].LogGroup().LogGroupName())
	}
	output(stack, "ClusterName", "The ECS cluster", cluster.ClusterName())
	if cfg.Compute.ExecuteCommand {
		output(stack, "ShellCommand", "Opens manage.py shell in a running web task (ECS Exec, encrypted and logged)", awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("aws ecs execute-command --cluster "), cluster.ClusterName(),
			jsii.String(" --container " + apptask.ContainerName + " --interactive --command 'python manage.py shell' --task $(aws ecs list-tasks --cluster "),
			cluster.ClusterName(), jsii.String(" --service-name "), web.Service().ServiceName(),
			jsii.String(" --query 'taskArns[0]' --output text)"),
		}))
	}
	computeStack := &ComputeStack{
		Stack: stack, Cluster: cluster, Web: web, Workers: workers, Beat: beat, Migration: migrate, StaticFiles: static,
		QueueMetrics: metrics, TaskRole: taskRole, ImagePushed: imagePushed,
		DeployTimeParameters: append([]string{registry.ImageTagParameterName}, data.SharedParameters()...),
	}
	shared := func(key string, value *string) string { return share(stack, cfg, ComputeLayer, key, value) }
	computeStack.Shared = ComputeShared{
		ClusterName:          shared("ClusterName", cluster.ClusterName()),
		ServiceNames:         map[string]string{"web": shared("WebServiceName", web.Service().ServiceName()), "beat": shared("BeatServiceName", beat.Service().ServiceName())},
		LoadBalancerFullName: shared("LoadBalancerFullName", web.LoadBalancer().LoadBalancerFullName()),
		TargetGroupFullName:  shared("TargetGroupFullName", web.TargetGroup().TargetGroupFullName()),
	}
	for i, w := range workers {
		q := cfg.Compute.Queues[i].Name
		computeStack.Shared.ServiceNames["worker-"+q] = shared("Worker"+exportName(q)+"ServiceName", w.Service().ServiceName())
	}
	if originSecret != nil {
		computeStack.OriginSecret = originSecret
		computeStack.Shared.OriginSecretArn = shared("OriginSecretArn", originSecret.SecretArn())
		suppress(originSecret, "AwsSolutions-SMG4",
			"Rotated by the two-step procedure of compute.web.originSecretVersions (README): CloudFront and the listener read it only when their template changes, which a rotation function cannot make happen.")
	}
	suppressComputeFindings(computeStack)
	return computeStack, nil
}
