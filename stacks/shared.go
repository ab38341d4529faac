package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// A value that one stack hands another travels in one of three ways:
//
//   - as a name that config determines (the repository, the database
//     instance, the settings parameters): the consumer builds ARNs and URIs
//     from it as plain strings;
//   - as a weak reference (Fn::GetStackOutput), but only as a whole property
//     value, where CloudFormation documents it (a security group id, a DNS
//     name);
//   - through an SSM parameter that the producer writes and the consumer
//     reads at deploy time (a parameter of type
//     AWS::SSM::Parameter::Value<String>, resolved on every deployment of the
//     consumer), for what the consumer must nest in Fn::Join, Fn::Select or
//     Fn::Sub: a secret's full ARN with a JSON field, a load balancer's full
//     name, joined subnet ids. Fn::GetStackOutput is not documented there.
//
// None of them is an export, so no stack is ever locked by another.

// Keys of the shared parameters that hold generated names (see
// SharedParameterName): the Compute stack's cluster and the Pipeline
// stack's pipeline.
const (
	ClusterNameKey  = "ClusterName"
	PipelineNameKey = "PipelineName"
)

// ServiceNameKey is the key under which the Compute stack shares the name
// of the service of role ("web", "beat" or "worker-<queue>").
func ServiceNameKey(role string) string { return exportName(role) + "ServiceName" }

// ServiceRoles are the names of cfg's services (Config.Processes): "web",
// "beat", then "worker-<queue>" in the order of compute.queues.
func (c *Config) ServiceRoles() []string {
	var roles []string
	for _, p := range c.services() {
		roles = append(roles, p.Name)
	}
	return roles
}

// SharedParameterName is the SSM parameter under which the stack of layer
// publishes its value key for later stacks.
func SharedParameterName(cfg *Config, layer, key string) string {
	return "/" + cfg.Project + "/" + cfg.Env + "/shared/" + layer + "/" + key
}

// share publishes value from the stack of layer as the SSM parameter
// SharedParameterName(cfg, layer, key), and returns that name.
func share(scope constructs.Construct, cfg *Config, layer, key string, value *string) string {
	name := SharedParameterName(cfg, layer, key)
	awsssm.NewStringParameter(scope, jsii.String("Shared"+key), &awsssm.StringParameterProps{
		ParameterName: jsii.String(name),
		StringValue:   value,
		Description:   jsii.String(key + " of " + cfg.StackName(layer) + ", read by later stacks at deploy time"),
	})
	return name
}

// shareList publishes values as a StringList parameter, as share does.
func shareList(scope constructs.Construct, cfg *Config, layer, key string, values *[]*string) string {
	name := SharedParameterName(cfg, layer, key)
	awsssm.NewStringListParameter(scope, jsii.String("Shared"+key), &awsssm.StringListParameterProps{
		ParameterName:   jsii.String(name),
		StringListValue: values,
		Description:     jsii.String(key + " of " + cfg.StackName(layer) + ", read by later stacks at deploy time"),
	})
	return name
}

// readShared returns the value of the SSM parameter name, which producer
// writes, as consumer's CloudFormation resolves it at deploy time; consumer
// then deploys after producer.
func readShared(consumer, producer awscdk.Stack, name string) *string {
	consumer.AddStackDependency(producer, jsii.String("reads "+name))
	return awsssm.StringParameter_ValueForStringParameter(consumer, jsii.String(name), nil)
}

// readSharedList is readShared for a parameter that shareList wrote.
func readSharedList(consumer, producer awscdk.Stack, name string) *[]*string {
	consumer.AddStackDependency(producer, jsii.String("reads "+name))
	return awsssm.StringListParameter_ValueForTypedListParameter(consumer, jsii.String(name), awsssm.ParameterValueType_STRING, nil)
}
