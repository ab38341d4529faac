package stacks

import (
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/appsettings"
	"github.com/djangocdk/djangocdk/constructs/cache"
	"github.com/djangocdk/djangocdk/constructs/database"
	"github.com/djangocdk/djangocdk/constructs/network"
	"github.com/djangocdk/djangocdk/constructs/storage"
)

// DataLayer is the layer name of the Data stack.
const DataLayer = "data"

// DataStack holds the environment's state: PostgreSQL, the cache, the
// buckets, the secrets and parameters, and the security groups that the
// compute layer attaches to its tasks to reach them.
type DataStack struct {
	// Stack is the CloudFormation stack.
	Stack awscdk.Stack
	// Database is RDS PostgreSQL (and its proxy, when configured).
	Database *database.Database
	// Cache is ElastiCache, the Celery broker and Django cache.
	Cache *cache.Cache
	// Storage holds the media, static and access log buckets.
	Storage *storage.Storage
	// Settings holds the Django secret key, the third-party secret and the
	// non-secret parameters.
	Settings *appsettings.Settings
	// TaskSecurityGroups are the only sources the database and cache accept.
	TaskSecurityGroups TaskSecurityGroups
	// DatabaseIdentifier is the RDS instance's identifier, which config
	// determines: later stacks use it as is.
	DatabaseIdentifier string

	cfg *Config
	// sharedSecrets names, by secret, the SSM parameter that holds its full ARN.
	sharedSecrets map[awssecretsmanager.ISecret]string
}

// Secret returns secret, one of this stack's, as a reference of stack,
// whose CloudFormation reads its full ARN at deploy time: ECS needs the full
// ARN, suffix included, to append a JSON field (ARN:field::), and that
// suffix is generated.
func (d *DataStack) Secret(stack awscdk.Stack, id string, secret awssecretsmanager.ISecret) awssecretsmanager.ISecret {
	name, ok := d.sharedSecrets[secret]
	if !ok {
		panic("stacks: " + *secret.Node().Path() + " is not shared by the Data stack")
	}
	return awssecretsmanager.Secret_FromSecretCompleteArn(stack, jsii.String(id), readShared(stack, d.Stack, name))
}

// Parameter returns the settings parameter of environment variable name as
// a reference of stack, built from its name, which config determines.
func (d *DataStack) Parameter(stack awscdk.Stack, name string) awsssm.IStringParameter {
	stack.AddStackDependency(d.Stack, jsii.String("reads the settings parameters"))
	// A dynamic reference for its value, which ECS never reads: no stack
	// parameter to resolve.
	return awsssm.StringParameter_FromStringParameterAttributes(stack, jsii.String("Setting"+name), &awsssm.StringParameterAttributes{
		ParameterName: jsii.String(d.parameterName(name)), ForceDynamicReference: jsii.Bool(true),
	})
}

// Bucket returns the bucket whose name the settings parameter of
// environment variable name holds, as a reference of stack that reads the
// name at deploy time: bucket names are generated.
func (d *DataStack) Bucket(stack awscdk.Stack, id, name string) awss3.IBucket {
	return awss3.Bucket_FromBucketAttributes(stack, jsii.String(id), &awss3.BucketAttributes{
		BucketName: readShared(stack, d.Stack, d.parameterName(name)), Region: jsii.String(d.cfg.Region),
	})
}

// SharedParameters returns the names of the SSM parameters that later
// stacks read at deploy time through Secret and Bucket, sorted.
func (d *DataStack) SharedParameters() []string {
	names := []string{d.parameterName(ParamMediaBucket), d.parameterName(ParamStaticBucket)}
	for _, name := range d.sharedSecrets {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func (d *DataStack) parameterName(name string) string {
	return "/" + d.cfg.Project + "/" + d.cfg.Env + "/" + name
}

// TaskSecurityGroups are the security groups of the compute layer's tasks,
// one per process kind (Config.Processes), so that each kind can be told
// apart in flow logs and rules, and the queue metrics function's, which
// reaches the cache only.
type TaskSecurityGroups struct {
	byKind map[ProcessKind]awsec2.ISecurityGroup
	// QueueMetrics is the group of the function that measures the Celery queues.
	QueueMetrics awsec2.ISecurityGroup
}

// For returns the group of the tasks of kind.
func (t TaskSecurityGroups) For(kind ProcessKind) awsec2.ISecurityGroup {
	group, ok := t.byKind[kind]
	if !ok {
		panic("stacks: no task security group for process kind " + string(kind))
	}
	return group
}

// importedInto returns the groups as references of stack: rules that the
// compute layer adds to them (the load balancer to the web tasks) then
// belong to the Compute stack instead of making the Data stack depend on it.
// They are imported as they are, without all outbound traffic: a connection
// the compute layer opens from a task group adds its egress rule there.
func (t TaskSecurityGroups) importedInto(stack awscdk.Stack, kinds []ProcessKind) TaskSecurityGroups {
	imported := func(id string, group awsec2.ISecurityGroup) awsec2.ISecurityGroup {
		return awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String(id), group.SecurityGroupId(), &awsec2.SecurityGroupImportOptions{
			AllowAllOutbound: jsii.Bool(false),
		})
	}
	groups := TaskSecurityGroups{byKind: map[ProcessKind]awsec2.ISecurityGroup{}}
	for _, kind := range kinds { // in order: construct ids must not depend on map order
		groups.byKind[kind] = imported(kind.groupID(), t.For(kind))
	}
	groups.QueueMetrics = imported("QueueMetricsFunction", t.QueueMetrics)
	return groups
}

// restrictEgress gives a task group its outbound rules besides the database
// and the cache: HTTPS anywhere, and extra, the app's other destinations
// (compute.extraEgress).
//
// HTTPS covers AWS's APIs through the NAT gateway or the S3 gateway
// endpoint (ECR and its layers in S3, Secrets Manager, SSM, CloudWatch Logs,
// X-Ray, ECS Exec's SSM messages, S3) and third parties (Sentry, mail and
// payment APIs). The OpenTelemetry sidecar talks to the app on localhost,
// which security groups never see.
//
// No DNS rule: the tasks resolve names through the VPC's Amazon DNS server
// (Route 53 Resolver at the VPC range's base + 2 or 169.254.169.253; the
// Network stack leaves the VPC's DHCP options at AmazonProvidedDNS), and
// security groups do not filter traffic to it, nor to the instance and task
// metadata endpoints or the Amazon Time Sync Service (Amazon VPC User Guide,
// "Security group rules"). A port 53 rule would change nothing and read as
// if removing it broke resolution. Apps whose VPC uses other resolvers list
// them in compute.extraEgress.
func restrictEgress(group awsec2.ISecurityGroup, extra []EgressConfig) {
	group.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS: AWS APIs, ECR, S3 and third-party services"), jsii.Bool(false))
	for _, e := range extra {
		port := awsec2.Port_Tcp(jsii.Number(e.Port))
		if e.protocol() == "udp" {
			port = awsec2.Port_Udp(jsii.Number(e.Port))
		}
		group.AddEgressRule(awsec2.Peer_Ipv4(jsii.String(e.Cidr)), port, jsii.String(e.Description), jsii.Bool(false))
	}
}

// Parameter names: the environment variables the containers receive from
// SSM Parameter Store.
const (
	ParamAllowedHosts  = "DJANGO_ALLOWED_HOSTS"
	ParamPostgresHost  = "POSTGRES_HOST"
	ParamPostgresPort  = "POSTGRES_PORT"
	ParamPostgresDB    = "POSTGRES_DB"
	ParamMediaBucket   = "DJANGO_AWS_STORAGE_BUCKET_NAME"
	ParamStaticBucket  = "DJANGO_AWS_STATIC_BUCKET_NAME"
	ParamBucketsRegion = "DJANGO_AWS_S3_REGION_NAME"
)

// NewDataStack creates the Data stack of cfg's environment in net's VPC.
func NewDataStack(scope constructs.Construct, cfg *Config, net *NetworkStack) (*DataStack, error) {
	stack := newStack(scope, cfg, DataLayer, "PostgreSQL, ElastiCache, S3 buckets, secrets and parameters")
	isolated := &awsec2.SubnetSelection{SubnetGroupName: jsii.String(network.IsolatedSubnets)}
	// Secrets and parameters have names that config determines; later
	// stacks build the parameters' ARNs from them (DataStack.Parameter).
	secretPrefix := cfg.Project + "/" + cfg.Env + "/"

	taskGroup := func(id, description string) awsec2.ISecurityGroup {
		return awsec2.NewSecurityGroup(stack, jsii.String(id), &awsec2.SecurityGroupProps{
			Vpc:         net.Vpc,
			Description: jsii.String(description + " of " + cfg.StackName(ComputeLayer)),
			// Outbound is what restrictEgress allows, plus the database and
			// the cache, whose AllowFrom below adds the matching rule here.
			AllowAllOutbound: jsii.Bool(false),
		})
	}
	kinds := cfg.processKinds()
	tasks := TaskSecurityGroups{byKind: map[ProcessKind]awsec2.ISecurityGroup{}}
	for _, kind := range kinds {
		tasks.byKind[kind] = taskGroup(kind.groupID(), exportName(string(kind)))
		restrictEgress(tasks.byKind[kind], cfg.Compute.ExtraEgress)
	}
	tasks.QueueMetrics = taskGroup("QueueMetricsTasks", "QueueMetrics")
	restrictEgress(tasks.QueueMetrics, nil)

	dbProps := cfg.databaseProps()
	dbProps.Vpc, dbProps.Subnets, dbProps.InstanceIdentifier = net.Vpc, isolated, cfg.Project+"-"+cfg.Env
	dbProps.SecretName = secretPrefix + "database"
	dbProps.RotationSubnets = &awsec2.SubnetSelection{SubnetGroupName: jsii.String(network.PrivateSubnets)}
	db, err := database.New(stack, "Database", &dbProps)
	if err != nil {
		return nil, err
	}

	cacheProps := cfg.cacheProps()
	cacheProps.Vpc, cacheProps.Subnets, cacheProps.Name = net.Vpc, isolated, cfg.Project+"-"+cfg.Env
	cacheProps.SecretName = secretPrefix + "cache"
	redis, err := cache.New(stack, "Cache", &cacheProps)
	if err != nil {
		return nil, err
	}

	// Each AllowFrom adds both sides: the ingress rule on the database's (or
	// proxy's) or cache's group and, since the task groups do not allow all
	// outbound traffic, the egress rule on the task group, all in this stack.
	for _, kind := range kinds {
		db.AllowFrom(tasks.For(kind), "PostgreSQL from "+string(kind)+" tasks")
		redis.AllowFrom(tasks.For(kind), "Cache from "+string(kind)+" tasks")
	}
	redis.AllowFrom(tasks.QueueMetrics, "Cache from the queue metrics function")

	storageProps := cfg.storageProps()
	buckets, err := storage.New(stack, "Storage", &storageProps)
	if err != nil {
		return nil, err
	}

	if cfg.Fronted() {
		buckets.AllowCloudFront(jsii.String(cfg.Account))
	}

	settings, err := appsettings.New(stack, "Settings", &appsettings.Props{
		ParameterPrefix: "/" + secretPrefix,
		SecretPrefix:    secretPrefix,
		RemovalPolicy:   cfg.Removal(),
		Parameters: map[string]*string{
			ParamAllowedHosts:  jsii.String(strings.Join(cfg.Django.AllowedHosts, ",")),
			ParamPostgresHost:  db.Host(),
			ParamPostgresPort:  db.Port(),
			ParamPostgresDB:    jsii.String(db.DatabaseName()),
			ParamMediaBucket:   buckets.Media().BucketName(),
			ParamStaticBucket:  buckets.Static().BucketName(),
			ParamBucketsRegion: jsii.String(cfg.Region),
		},
	})
	if err != nil {
		return nil, err
	}

	suppressDataFindings(cfg, db, redis, settings)
	// Operators put the third-party keys in this secret before the first
	// deployment of the compute layer.
	output(stack, "ThirdPartySecretName", "Secret to fill with the third-party keys (django.thirdPartySecrets)", settings.ThirdPartySecret().SecretName())
	output(stack, "DatabaseSecretName", "Secret with the database credentials", db.Secret().SecretName())
	output(stack, "MediaBucketName", "Bucket of user uploads", buckets.Media().BucketName())
	output(stack, "StaticBucketName", "Bucket of collectstatic output", buckets.Static().BucketName())
	// In a fixed order: the template must be the same on every synthesis.
	sharedSecrets := map[awssecretsmanager.ISecret]string{}
	for _, shared := range []struct {
		key    string
		secret awssecretsmanager.ISecret
	}{
		{"CacheUrlSecretArn", redis.URLSecret()}, {"DatabaseSecretArn", db.Secret()},
		{"DjangoSecretArn", settings.DjangoSecret()}, {"ThirdPartySecretArn", settings.ThirdPartySecret()},
	} {
		sharedSecrets[shared.secret] = share(stack, cfg, DataLayer, shared.key, shared.secret.SecretArn())
	}
	return &DataStack{
		cfg:                cfg,
		sharedSecrets:      sharedSecrets,
		DatabaseIdentifier: dbProps.InstanceIdentifier,
		Stack:              stack,
		Database:           db,
		Cache:              redis,
		Storage:            buckets,
		Settings:           settings,
		TaskSecurityGroups: tasks,
	}, nil
}

// suppressDataFindings records why the cdk-nag findings that the Data
// stack's configuration accepts do not apply.
func suppressDataFindings(cfg *Config, db *database.Database, redis *cache.Cache, settings *appsettings.Settings) {
	const portReason = "A non-default port only hides from scanners that cannot reach the server anyway: it sits in isolated subnets and its security group admits only the app's task security groups."
	suppress(db.Instance(), "AwsSolutions-RDS11", portReason)
	if role := db.Instance().Node().TryFindChild(jsii.String("MonitoringRole")); role != nil {
		suppressManagedPolicy(role, "AmazonRDSEnhancedMonitoringRole",
			"RDS Enhanced Monitoring's own role: the managed policy only lets RDS write the OS metrics to the RDSOSMetrics log group.")
	}
	suppress(redis.ReplicationGroup(), "AwsSolutions-AEC5", portReason)
	if cfg.Database.RotationDays == 0 {
		suppress(db.Secret(), "AwsSolutions-SMG4",
			"Rotation is off by config (database.rotationDays: 0) in this environment: running tasks keep the old password until they restart, so teams turn it on once they restart tasks on rotation.")
	}
	if !cfg.Database.MultiAz {
		suppress(db.Instance(), "AwsSolutions-RDS3",
			"Single-AZ by config (database.multiAz: false) to halve the cost of a non-production database; production runs Multi-AZ.")
	}
	if cfg.Removal() == awscdk.RemovalPolicy_DESTROY {
		suppress(db.Instance(), "AwsSolutions-RDS10",
			"This environment is disposable by config (removalPolicy: destroy); every retained environment has deletion protection.")
	}
	if cfg.Cache.Nodes < 2 {
		suppress(redis.ReplicationGroup(), "AwsSolutions-AEC4",
			"A single node by config (cache.nodes: 1) in a non-production environment; production runs a replica in a second zone with automatic failover.")
	}
	suppress(redis.Secret(), "AwsSolutions-SMG4",
		"An ElastiCache AUTH token changes through modify-replication-group with a ROTATE strategy, which Secrets Manager rotation functions do not drive; rotate it deliberately.")
	suppress(redis.URLSecret(), "AwsSolutions-SMG4",
		"CloudFormation writes this URL from the AUTH token secret; it changes with the token, by a deployment, never by a rotation function.")
	suppress(settings.DjangoSecret(), "AwsSolutions-SMG4",
		"Rotating Django's SECRET_KEY logs every user out and invalidates signed data; rotate it deliberately, keeping the old key in SECRET_KEY_FALLBACKS.")
	suppress(settings.ThirdPartySecret(), "AwsSolutions-SMG4",
		"Third parties issue these keys and rotate them at their end; operators paste new values in.")
}
