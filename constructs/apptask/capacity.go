package apptask

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// CapacityStrategy is a service's capacity provider strategy: every task on
// FARGATE_SPOT when spot (up to 70% cheaper; a task may be stopped with a
// two-minute warning and is then replaced), else on FARGATE. The cluster
// must have the Fargate capacity providers; pass the service to
// DependOnCapacityProviders.
func CapacityStrategy(spot bool) *[]*awsecs.CapacityProviderStrategy {
	capacity := "FARGATE"
	if spot {
		capacity = "FARGATE_SPOT"
	}
	return &[]*awsecs.CapacityProviderStrategy{{CapacityProvider: jsii.String(capacity), Weight: jsii.Number(1)}}
}

// DependOnCapacityProviders makes service, which names a capacity
// provider, wait for the cluster's capacity provider association: without
// the dependency CloudFormation may create the service first (and fail) or
// delete the association first on destroy (containers-roadmap#631). The
// cluster creates the association in an aspect at synthesis, so the
// dependency is added by an aspect that runs after it (a read-only
// priority runs after the default one). An imported cluster has no
// association in the stack.
func DependOnCapacityProviders(service awsecs.BaseService, cluster awsecs.ICluster) {
	awscdk.Aspects_Of(service).Add(&associationDependency{service: service, path: *service.Node().Path(), cluster: cluster},
		&awscdk.AspectOptions{Priority: awscdk.AspectPriority_READONLY()})
}

// associationDependency is the aspect of DependOnCapacityProviders. It
// visits every construct under the service, each visit a call from jsii's
// kernel, so it reads as little as it can over jsii: the service's path
// once, and nothing once it has found the service.
type associationDependency struct {
	service awsecs.BaseService
	path    string
	cluster awsecs.ICluster
	done    bool
}

// Visit adds the dependency when it visits the service itself.
func (a *associationDependency) Visit(node constructs.IConstruct) {
	if a.done || *node.Node().Path() != a.path {
		return
	}
	a.done = true
	for _, child := range *a.cluster.Node().Children() {
		if resource, ok := child.(awscdk.CfnResource); ok && *awscdk.CfnResource_IsCfnResource(child) &&
			*resource.CfnResourceType() == "AWS::ECS::ClusterCapacityProviderAssociations" {
			a.service.Node().AddDependency(resource)
		}
	}
}
