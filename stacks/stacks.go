package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// ManagedBy is the value of the ManagedBy tag on every resource.
const ManagedBy = "djangocdk"

// Stacks are the stacks of one environment, each exposing the typed
// references that later layers take through their props.
type Stacks struct {
	// Network holds the VPC.
	Network *NetworkStack
	// Data holds the database, the cache, the buckets and the settings.
	Data *DataStack
	// Registry holds the image repository and the released image tag.
	Registry *RegistryStack
	// Compute runs the app on ECS Fargate.
	Compute *ComputeStack
	// Frontend serves the frontend apps and Django behind one domain each;
	// nil when no frontend app is configured.
	Frontend *FrontendStack
	// Pipeline releases the app.
	Pipeline *PipelineStack
	// Operations holds the alarms and the dashboard.
	Operations *OperationsStack
}

// All returns the environment's stacks in deployment order.
func (s *Stacks) All() []awscdk.Stack {
	all := []awscdk.Stack{s.Network.Stack, s.Data.Stack, s.Registry.Stack, s.Compute.Stack}
	if s.Frontend != nil {
		all = append(all, s.Frontend.Stack)
	}
	return append(all, s.Pipeline.Stack, s.Operations.Stack)
}

// New creates every stack of cfg's environment in app and applies cdk-nag's
// AwsSolutions checks to them (to them only: a stack of the app's own
// beside them is not checked), with a compliance report per stack in the
// cloud assembly. Any error is returned before a stack is synthesized.
func New(app awscdk.App, cfg *Config) (*Stacks, error) {
	networkStack, err := NewNetworkStack(app, cfg)
	if err != nil {
		return nil, err
	}
	dataStack, err := NewDataStack(app, cfg, networkStack)
	if err != nil {
		return nil, err
	}
	registryStack := NewRegistryStack(app, cfg)
	computeStack, err := NewComputeStack(app, cfg, networkStack, dataStack, registryStack)
	if err != nil {
		return nil, err
	}
	built := &Stacks{Network: networkStack, Data: dataStack, Registry: registryStack, Compute: computeStack}
	if cfg.Fronted() {
		if built.Frontend, err = NewFrontendStack(app, cfg, dataStack, computeStack); err != nil {
			return nil, err
		}
	}
	if built.Pipeline, err = NewPipelineStack(app, cfg, networkStack, dataStack, registryStack, computeStack, built.Frontend); err != nil {
		return nil, err
	}
	if built.Operations, err = NewOperationsStack(app, cfg, dataStack, computeStack, built.Pipeline); err != nil {
		return nil, err
	}
	// On these stacks only: the app's other stacks are their authors' to
	// check, or not.
	checks := cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose: jsii.Bool(true),
		Reports: jsii.Bool(true),
	})
	for _, stack := range built.All() {
		awscdk.Aspects_Of(stack).Add(checks, nil)
	}
	return built, nil
}

// newStack creates the stack of one layer with the environment's name,
// account, region, availability zones, protection and tags.
func newStack(scope constructs.Construct, cfg *Config, layer, description string) awscdk.Stack {
	name := cfg.StackName(layer)
	stack := awscdk.NewStack(scope, jsii.String(name), &awscdk.StackProps{
		StackName:             jsii.String(name),
		Description:           jsii.String(description),
		Env:                   &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(cfg.Region)},
		TerminationProtection: jsii.Bool(cfg.TerminationProtection),
	})
	// The zones come from config: with an explicit account the CLI would
	// otherwise look them up, which needs credentials and the network.
	zonesKey := fmt.Sprintf("availability-zones:account=%s:region=%s", cfg.Account, cfg.Region)
	stack.Node().SetContext(jsii.String(zonesKey), cfg.AvailabilityZones)

	tags := awscdk.Tags_Of(stack)
	tags.Add(jsii.String("Project"), jsii.String(cfg.Project), nil)
	tags.Add(jsii.String("Environment"), jsii.String(cfg.Env), nil)
	tags.Add(jsii.String("ManagedBy"), jsii.String(ManagedBy), nil)
	return stack
}

// output adds a stack output: what an operator or the pipeline reads.
func output(stack awscdk.Stack, name, description string, value *string) {
	awscdk.NewCfnOutput(stack, jsii.String(name), &awscdk.CfnOutputProps{Description: jsii.String(description), Value: value})
}
