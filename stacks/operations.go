package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/database"
	"github.com/djangocdk/djangocdk/constructs/monitoring"
	"github.com/djangocdk/djangocdk/constructs/queuemetrics"
)

// OperationsLayer is the layer name of the Operations stack.
const OperationsLayer = "operations"

// OperationsStack holds the alarm topic, the alarms and the dashboard.
type OperationsStack struct {
	// Stack is the CloudFormation stack.
	Stack awscdk.Stack
	// AlarmTopic receives every alarm and failed releases.
	AlarmTopic awssns.ITopic
	// Monitoring is the alarms and the dashboard.
	Monitoring *monitoring.Monitoring
}

// NewOperationsStack creates the Operations stack of cfg's environment.
func NewOperationsStack(scope constructs.Construct, cfg *Config, data *DataStack, compute *ComputeStack, pipeline *PipelineStack) (*OperationsStack, error) {
	stack := newStack(scope, cfg, OperationsLayer, "Alarms, their topic and the dashboard")
	key := awskms.NewKey(stack, jsii.String("AlarmKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the alarm topic of " + cfg.Project + "-" + cfg.Env),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     cfg.Removal(),
	})
	// CloudWatch alarms and EventBridge publish to the encrypted topic.
	for _, service := range []string{"cloudwatch.amazonaws.com", "events.amazonaws.com"} {
		key.GrantEncryptDecrypt(awsiam.NewServicePrincipal(jsii.String(service), nil))
	}
	topic := awssns.NewTopic(stack, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String(cfg.StackName("alarms")),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	// EnforceSSL gives the topic a policy, which replaces SNS's default one:
	// CloudWatch alarms must then be allowed to publish explicitly (the
	// EventBridge rule's target adds its own statement). Only this account's
	// alarms.
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": cfg.Account},
			"ArnLike":      map[string]any{"aws:SourceArn": "arn:" + *awscdk.Aws_PARTITION() + ":cloudwatch:" + cfg.Region + ":" + cfg.Account + ":alarm:*"},
		},
	}))
	for _, email := range cfg.Operations.AlarmEmails {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}

	// The Compute and Pipeline stacks' generated names, read at deploy time
	// (see shared.go); the database's identifier comes from config.
	clusterName := compute.Read(stack, compute.Shared.ClusterName)
	var services []monitoring.Service
	var queues []monitoring.Queue
	for _, process := range cfg.services() {
		services = append(services, monitoring.Service{Name: process.Name, ServiceName: compute.Read(stack, compute.Shared.ServiceNames[process.Name])})
		if process.Kind == WorkerKind {
			queues = append(queues, monitoring.Queue{
				Name:      process.Queue,
				Depth:     compute.QueueMetrics.ClusterMetric(queuemetrics.QueueDepthMetric, process.Queue, clusterName),
				OldestAge: compute.QueueMetrics.ClusterMetric(queuemetrics.OldestAgeMetric, process.Queue, clusterName),
			})
		}
	}
	var jobs []monitoring.Job
	for _, j := range cfg.Compute.Jobs {
		jobs = append(jobs, monitoring.Job{Name: j.Name, RunnerArn: compute.Read(stack, compute.Shared.JobRunnerArns[j.Name])})
	}
	var pipelineName *string // none with the github driver
	if pipeline.PipelineNameParameter != "" {
		pipelineName = readShared(stack, pipeline.Stack, pipeline.PipelineNameParameter)
	}
	memory, _ := database.ClassMemoryGiB(cfg.Database.InstanceClass)
	connections, _ := database.EstimatedMaxConnections(cfg.Database.InstanceClass)
	m, err := monitoring.New(stack, "Monitoring", &monitoring.Props{
		Topic:                topic,
		Name:                 cfg.Project + "-" + cfg.Env,
		LoadBalancerFullName: compute.Read(stack, compute.Shared.LoadBalancerFullName),
		TargetGroupFullName:  compute.Read(stack, compute.Shared.TargetGroupFullName),
		ClusterName:          clusterName,
		Services:             services,
		Queues:               queues,
		Jobs:                 jobs,
		Database: monitoring.Database{
			InstanceIdentifier: jsii.String(data.DatabaseIdentifier), StorageGiB: cfg.Database.AllocatedStorageGiB,
			MemoryGiB: memory, MaxConnections: connections,
		},
		CacheNodes:    data.Cache.NodeIDs(),
		PipelineName:  pipelineName,
		Thresholds:    cfg.Operations.thresholds(),
		SkipDashboard: cfg.Operations.Dashboard != nil && !*cfg.Operations.Dashboard,
	})
	if err != nil {
		return nil, err
	}
	if m.Dashboard() != nil {
		output(stack, "DashboardUrl", "The environment's dashboard", awscdk.Fn_Join(jsii.String(""), jsii.Strings(
			"https://console.aws.amazon.com/cloudwatch/home?region=", cfg.Region, "#dashboards:name=", *m.Dashboard().DashboardName())))
	}
	return &OperationsStack{Stack: stack, AlarmTopic: topic, Monitoring: m}, nil
}
