package stacks

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// suppress records that cdk-nag rule does not apply to one resource (an L2
// construct's own CloudFormation resource, never its children) and why.
func suppress(resource constructs.IConstruct, rule, reason string) {
	if child := resource.Node().DefaultChild(); child != nil {
		resource = child
	}
	cdknag.NagSuppressions_AddResourceSuppressions(resource, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String(rule), Reason: jsii.String(reason)},
	}, jsii.Bool(false))
}
