package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/celerybeat"
	"github.com/djangocdk/djangocdk/constructs/celeryworker"
	"github.com/djangocdk/djangocdk/constructs/djangoweb"
	"github.com/djangocdk/djangocdk/constructs/migration"
	"github.com/djangocdk/djangocdk/constructs/scheduledjob"
	"github.com/djangocdk/djangocdk/constructs/staticfiles"
)

// computeBuild adds the processes' constructs to the Compute stack.
type computeBuild struct {
	stack  awscdk.Stack
	cfg    *Config
	data   *DataStack
	groups TaskSecurityGroups
	// private holds the functions; tasks run in tasks, with a public IP
	// when publicIP (network.TaskSubnets).
	private      *awsec2.SubnetSelection
	tasks        *awsec2.SubnetSelection
	publicIP     bool
	staticBucket awss3.IBucket
	// base holds the settings every process's task shares.
	base apptask.Props
	out  *ComputeStack
}

// add creates the construct of p's kind and returns its service, nil for a
// one-off task.
func (b *computeBuild) add(p Process) (awsecs.FargateService, error) {
	switch p.Kind {
	case WebKind:
		return b.web(p)
	case BeatKind:
		return b.beat(p)
	case WorkerKind:
		return b.worker(p)
	case MigrationKind:
		return nil, b.migration(p)
	case JobKind:
		return nil, b.job(p)
	}
	return nil, fmt.Errorf("stacks: process %q has unknown kind %q", p.Name, p.Kind)
}

// wired adds to a task's value fields (Config.taskProps) what this stack
// supplies: the image, its architecture, the settings and the task role.
func (b *computeBuild) wired(t apptask.Props) apptask.Props {
	t.Image, t.CpuArchitecture, t.Environment, t.Secrets, t.TaskRole = b.base.Image, b.base.CpuArchitecture, b.base.Environment, b.base.Secrets, b.base.TaskRole
	return t
}

func (b *computeBuild) web(p Process) (awsecs.FargateService, error) {
	cfg, w := b.cfg, b.cfg.Compute.Web
	// Behind CloudFront, the load balancer admits only CloudFront's
	// addresses, and only requests that carry the secret header CloudFront
	// adds: nobody can bypass the edge.
	var originSecret awssecretsmanager.Secret
	var originPrefixList string
	if cfg.Fronted() && !w.PublicAlb {
		originPrefixList = w.CloudFrontPrefixListID
		originSecret = awssecretsmanager.NewSecret(b.stack, jsii.String("OriginVerify"), &awssecretsmanager.SecretProps{
			Description: jsii.String("Value of the " + OriginHeader + " header CloudFront adds and the load balancer requires"),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				ExcludePunctuation: jsii.Bool(true),
				PasswordLength:     jsii.Number(48),
			},
		})
	}
	props := cfg.webProps()
	props.Cluster, props.Task = b.out.Cluster, b.wired(props.Task)
	props.SecurityGroup, props.TaskSubnets, props.AssignPublicIp, props.RunCondition = b.groups.For(p.Kind), b.tasks, b.publicIP, b.out.ImagePushed
	props.AccessLogBucket, props.OriginPrefixListID = b.data.Storage.AccessLogs(), originPrefixList
	if originSecret != nil {
		props.OriginHeader = OriginHeader
		for _, version := range originSecretVersions(w.OriginSecretVersions) {
			props.OriginHeaderValues = append(props.OriginHeaderValues, originSecretValue(originSecret.SecretArn(), version))
		}
		b.out.OriginSecret = originSecret
	}
	web, err := djangoweb.New(b.stack, "Web", &props)
	if err != nil {
		return nil, err
	}
	b.out.Web, b.out.tasks[p.Name] = web, web.Task()
	return web.Service(), nil
}

func (b *computeBuild) worker(p Process) (awsecs.FargateService, error) {
	q := b.cfg.Compute.Queues[p.index]
	props := b.cfg.queueProps(q)
	props.Cluster, props.Task, props.BacklogPerTask = b.out.Cluster, b.wired(props.Task), b.out.QueueMetrics.BacklogPerTask(q.Name)
	props.QueueDepth, props.RunningTasks = b.out.QueueMetrics.QueueDepth(q.Name), b.out.QueueMetrics.RunningTasks(q.Name)
	props.SecurityGroup, props.Subnets, props.AssignPublicIp, props.RunCondition = b.groups.For(p.Kind), b.tasks, b.publicIP, b.out.ImagePushed
	worker, err := celeryworker.New(b.stack, "Worker-"+q.Name, &props)
	if err != nil {
		return nil, err
	}
	b.out.QueueMetrics.AddQueue(q.Name, worker.Service())
	b.out.Workers, b.out.tasks[p.Name] = append(b.out.Workers, worker), worker.Task()
	return worker.Service(), nil
}

func (b *computeBuild) beat(p Process) (awsecs.FargateService, error) {
	beat, err := celerybeat.New(b.stack, "Beat", &celerybeat.Props{
		Cluster:        b.out.Cluster,
		CeleryApp:      b.cfg.Django.CeleryApp,
		Task:           b.wired(b.cfg.taskProps(p.tracingService(), p.Task)),
		SecurityGroup:  b.groups.For(p.Kind),
		Subnets:        b.tasks,
		AssignPublicIp: b.publicIP,
		Spot:           p.Task.Spot,
		RunCondition:   b.out.ImagePushed,
	})
	if err != nil {
		return nil, err
	}
	b.out.Beat, b.out.tasks[p.Name] = beat, beat.Task()
	return beat.Service(), nil
}

// migration adds the release's two one-off tasks, migrate and
// collectstatic, with p's size and filesystem; the release runs both with
// the migration's security group, in the tasks' subnets (Config.TaskSubnets).
func (b *computeBuild) migration(p Process) error {
	migrationTask := b.wired(b.cfg.taskProps(p.tracingService(), p.Task))
	migrationTask.Family = b.cfg.StackName(p.Name)
	migrate, err := migration.New(b.stack, "Migration", &migration.Props{Task: migrationTask})
	if err != nil {
		return err
	}
	staticTask := migrationTask
	staticTask.Command = nil // collectstatic's own
	staticTask.Family = b.cfg.StackName("static")
	staticTask.TaskRole = nil // its own role: the one writer of the static bucket
	static, err := staticfiles.New(b.stack, "StaticFiles", &staticfiles.Props{Task: staticTask, Bucket: b.staticBucket})
	if err != nil {
		return err
	}
	b.out.Migration, b.out.StaticFiles, b.out.tasks[p.Name] = migrate, static, migrate.Task()
	return nil
}

// job adds a scheduled job: the migration task's settings with the job's
// command and size, its own family, in the tasks' subnets with the job
// kind's security group; it shares its state machine's ARN for the
// Operations stack's alarm and dashboard.
func (b *computeBuild) job(p Process) error {
	j := b.cfg.Compute.Jobs[p.index]
	task := b.wired(b.cfg.taskProps(p.tracingService(), p.Task))
	task.Family = b.cfg.StackName(p.Name)
	job, err := scheduledjob.New(b.stack, "Job-"+j.Name, &scheduledjob.Props{
		Name:           j.Name,
		Schedule:       j.Schedule,
		Task:           task,
		Cluster:        b.out.Cluster,
		SecurityGroup:  b.groups.For(p.Kind),
		Subnets:        b.tasks,
		AssignPublicIp: b.publicIP,
		TimeoutMinutes: j.TimeoutMinutes,
	})
	if err != nil {
		return err
	}
	b.out.Jobs, b.out.tasks[p.Name] = append(b.out.Jobs, job), job.Task()
	b.out.Shared.JobRunnerArns[j.Name] = share(b.stack, b.cfg, ComputeLayer, exportName(p.Name)+"RunnerArn", job.Runner().StateMachineArn())
	return nil
}

// newCluster creates the ECS cluster and, with ECS Exec on, the key and log
// group of its sessions (nil otherwise).
func newCluster(stack awscdk.Stack, cfg *Config, net *NetworkStack) (awsecs.Cluster, awslogs.LogGroup) {
	props := &awsecs.ClusterProps{
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
		props.ExecuteCommandConfiguration = &awsecs.ExecuteCommandConfiguration{
			KmsKey:  execKey,
			Logging: awsecs.ExecuteCommandLogging_OVERRIDE,
			LogConfiguration: &awsecs.ExecuteCommandLogConfiguration{
				CloudWatchLogGroup:          execLogs,
				CloudWatchEncryptionEnabled: jsii.Bool(true),
			},
		}
	}
	return awsecs.NewCluster(stack, jsii.String("Cluster"), props), execLogs
}

// newAppTaskRole creates the role of the app's containers and returns it
// with the static bucket, which collectstatic writes.
func newAppTaskRole(stack awscdk.Stack, cfg *Config, data *DataStack) (awsiam.Role, awss3.IBucket) {
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
	if cfg.Compute.Tracing.Enabled {
		taskRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"),
			Resources: jsii.Strings("*"), // X-Ray takes no resource-level permissions
		}))
	}
	return taskRole, staticBucket
}

// appTaskBase returns what this stack supplies to every process's task:
// the image by the released tag, the architecture, the settings and the
// task role.
func appTaskBase(stack awscdk.Stack, cfg *Config, data *DataStack, registry *RegistryStack, imageTag *string, taskRole awsiam.Role) apptask.Props {
	arch := awsecs.CpuArchitecture_ARM64()
	if cfg.Compute.CpuArchitecture == "X86_64" {
		arch = awsecs.CpuArchitecture_X86_64()
	}
	environment, secrets := containerSettings(stack, cfg, data)
	return apptask.Props{
		Image:           awsecs.ContainerImage_FromEcrRepository(registry.ImportRepository(stack), imageTag),
		CpuArchitecture: arch,
		Environment:     environment,
		Secrets:         secrets,
		TaskRole:        taskRole,
	}
}
