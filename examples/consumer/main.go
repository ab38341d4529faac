// Command shop-infra is a CDK app of its own, kept in djangocdk's repository
// as the example of a module that depends on djangocdk's constructs the way a
// user's app does: its go.mod requires github.com/djangocdk/djangocdk, and it
// builds its own stacks from the constructs (not from djangocdk's stacks
// package), with a resource of its own beside them.
//
// The CDK CLI runs it (cdk.json: "go run ."): npx cdk synth.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/djangocdk/djangocdk/constructs/appsettings"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/cache"
	"github.com/djangocdk/djangocdk/constructs/celeryworker"
	"github.com/djangocdk/djangocdk/constructs/database"
	"github.com/djangocdk/djangocdk/constructs/migration"
	"github.com/djangocdk/djangocdk/constructs/network"
	"github.com/djangocdk/djangocdk/constructs/queuemetrics"
	"github.com/djangocdk/djangocdk/constructs/storage"
)

// Environment is what differs between the shop's environments.
type Environment struct {
	Name              string
	Region            string
	AvailabilityZones []string
	NatGateways       int
	InstanceClass     string
	MultiAz           bool
	CacheNodes        int
	// ImageTag of the shop's image in its ECR repository.
	ImageTag      string
	RemovalPolicy awscdk.RemovalPolicy
}

// Environments are the shop's: one stack each.
var Environments = []Environment{
	{
		Name:              "staging",
		Region:            "eu-west-1",
		AvailabilityZones: []string{"eu-west-1a", "eu-west-1b"},
		NatGateways:       1,
		InstanceClass:     "db.t4g.micro",
		CacheNodes:        1,
		ImageTag:          "latest",
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	},
	{
		Name:              "production",
		Region:            "eu-west-1",
		AvailabilityZones: []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"},
		NatGateways:       3,
		InstanceClass:     "db.r6g.large",
		MultiAz:           true,
		CacheNodes:        2,
		ImageTag:          "latest",
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	},
}

func main() {
	app := awscdk.NewApp(nil)
	for _, env := range Environments {
		if err := NewShopStack(app, env); err != nil {
			fmt.Fprintf(os.Stderr, "shop-infra: %s: %v\n", env.Name, err)
			os.Exit(1)
		}
	}
	// No jsii.Close: it makes about one run in two print a spurious
	// "Runtime process exited abnormally" line (its wait for jsii's node
	// process races jsii's own). jsii then leaves its extracted runtime in
	// TMPDIR.
	app.Synth(nil)
}

// NewShopStack builds the stack of one environment: the network, the
// database, the cache, the buckets and the settings from djangocdk's
// constructs, the migration task that reads them, and the shop's own order
// events queue.
func NewShopStack(scope constructs.Construct, env Environment) error {
	stack := awscdk.NewStack(scope, jsii.String("shop-"+env.Name), &awscdk.StackProps{
		Env: &awscdk.Environment{Region: jsii.String(env.Region)},
	})
	// Stateful resources of staging go with the stack; production keeps
	// them (the database as a final snapshot).
	dbRemoval := awscdk.RemovalPolicy_SNAPSHOT
	if env.RemovalPolicy == awscdk.RemovalPolicy_DESTROY {
		dbRemoval = awscdk.RemovalPolicy_DESTROY
	}

	net, err := network.New(stack, "Network", &network.Props{
		AvailabilityZones: env.AvailabilityZones,
		NatGateways:       env.NatGateways,
		RemovalPolicy:     env.RemovalPolicy,
	})
	if err != nil {
		return err
	}
	isolated := &awsec2.SubnetSelection{SubnetGroupName: jsii.String(network.IsolatedSubnets)}

	db, err := database.New(stack, "Database", &database.Props{
		Vpc:                net.Vpc(),
		Subnets:            isolated,
		InstanceIdentifier: "shop-" + env.Name,
		InstanceClass:      env.InstanceClass,
		MultiAz:            env.MultiAz,
		RemovalPolicy:      dbRemoval,
	})
	if err != nil {
		return err
	}
	redis, err := cache.New(stack, "Cache", &cache.Props{
		Vpc:           net.Vpc(),
		Subnets:       isolated,
		Name:          "shop-" + env.Name,
		Nodes:         env.CacheNodes,
		RemovalPolicy: env.RemovalPolicy,
	})
	if err != nil {
		return err
	}
	buckets, err := storage.New(stack, "Storage", &storage.Props{
		RemovalPolicy: env.RemovalPolicy,
	})
	if err != nil {
		return err
	}
	settings, err := appsettings.New(stack, "Settings", &appsettings.Props{
		ParameterPrefix: "/shop/" + env.Name + "/",
		SecretPrefix:    "shop/" + env.Name + "/",
		Parameters: map[string]*string{
			"DJANGO_AWS_STORAGE_BUCKET_NAME": buckets.Media().BucketName(),
		},
		RemovalPolicy: env.RemovalPolicy,
	})
	if err != nil {
		return err
	}

	// The shop's own resource: a queue the app publishes order events to.
	orders := awssqs.NewQueue(stack, jsii.String("OrderEvents"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL: jsii.Bool(true),
	})

	// The tasks' security group: the database and the cache let it in.
	tasks := awsec2.NewSecurityGroup(stack, jsii.String("Tasks"), &awsec2.SecurityGroupProps{
		Vpc:         net.Vpc(),
		Description: jsii.String("The Django tasks of the shop"),
	})
	db.AllowFrom(tasks, "PostgreSQL from the Django tasks")
	redis.AllowFrom(tasks, "Valkey from the Django tasks")

	repository := awsecr.Repository_FromRepositoryName(stack, jsii.String("Repository"), jsii.String("shop"))
	// The Django container's settings, the same for every process.
	task := func(process string) apptask.Props {
		return apptask.Props{
			Image:  awsecs.ContainerImage_FromEcrRepository(repository, jsii.String(env.ImageTag)),
			Family: "shop-" + env.Name + "-" + process,
			Environment: map[string]string{
				"POSTGRES_HOST":          *db.Host(),
				"POSTGRES_PORT":          *db.Port(),
				"POSTGRES_DB":            db.DatabaseName(),
				"DJANGO_SETTINGS_MODULE": "config.settings.production",
			},
			Secrets: map[string]awsecs.Secret{
				"POSTGRES_USER":     awsecs.Secret_FromSecretsManager(db.Secret(), jsii.String("username")),
				"POSTGRES_PASSWORD": awsecs.Secret_FromSecretsManager(db.Secret(), jsii.String("password")),
				"REDIS_URL":         awsecs.Secret_FromSecretsManager(redis.URLSecret(), jsii.String(cache.URLField)),
				"DJANGO_SECRET_KEY": awsecs.Secret_FromSecretsManager(settings.DjangoSecret(), jsii.String(appsettings.SecretKeyField)),
				"DJANGO_AWS_STORAGE_BUCKET_NAME": awsecs.Secret_FromSsmParameter(
					settings.Parameter("DJANGO_AWS_STORAGE_BUCKET_NAME")),
			},
		}
	}
	migrate, err := migration.New(stack, "Migration", &migration.Props{Task: task("migrate")})
	if err != nil {
		return err
	}

	// The Celery workers of the default queue, scaled on its backlog per
	// task, which a Lambda function of queuemetrics measures on Valkey.
	private := &awsec2.SubnetSelection{SubnetGroupName: jsii.String(network.PrivateSubnets)}
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{
		Vpc:                            net.Vpc(),
		ContainerInsightsV2:            awsecs.ContainerInsights_ENABLED,
		EnableFargateCapacityProviders: jsii.Bool(true),
	})
	metricsGroup := awsec2.NewSecurityGroup(stack, jsii.String("QueueMetricsGroup"), &awsec2.SecurityGroupProps{
		Vpc:         net.Vpc(),
		Description: jsii.String("The queue metrics function of the shop"),
	})
	redis.AllowFrom(metricsGroup, "Valkey from the queue metrics function")
	metrics, err := queuemetrics.New(stack, "QueueMetrics", &queuemetrics.Props{
		Vpc:           net.Vpc(),
		Subnets:       private,
		SecurityGroup: metricsGroup,
		BrokerHost:    redis.Host(),
		BrokerPort:    cache.Port,
		BrokerSecret:  redis.Secret(),
		Cluster:       cluster,
		RemovalPolicy: env.RemovalPolicy,
	})
	if err != nil {
		return err
	}
	worker, err := celeryworker.New(stack, "Worker", &celeryworker.Props{
		Cluster:        cluster,
		Queue:          "celery",
		Task:           task("celeryworker"),
		BacklogPerTask: metrics.BacklogPerTask("celery"),
		SecurityGroup:  tasks,
		Subnets:        private,
	})
	if err != nil {
		return err
	}
	metrics.AddQueue("celery", worker.Service())

	// The escape hatch for a plain variable the construct has no field for:
	// the container definition itself.
	migrate.Task().Container().AddEnvironment(jsii.String("ORDER_EVENTS_QUEUE_URL"), orders.QueueUrl())
	orders.GrantSendMessages(migrate.Task().TaskDefinition().TaskRole())

	awscdk.NewCfnOutput(stack, jsii.String("OrderEventsQueueUrl"), &awscdk.CfnOutputProps{Value: orders.QueueUrl()})
	return nil
}
