package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
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

// suppressWildcards records why the wildcard permissions of role's default
// policy that match appliesTo (strings, or *cdknag.RegexAppliesTo) are
// needed; any other wildcard still fails the check.
func suppressWildcards(role awsiam.IRole, reason string, appliesTo ...any) {
	if policy := role.Node().TryFindChild(jsii.String("DefaultPolicy")); policy != nil {
		suppressPolicyWildcards(policy.Node().DefaultChild(), reason, appliesTo...)
	}
}

// suppressPolicyWildcards is suppressWildcards for one policy resource.
func suppressPolicyWildcards(policy constructs.IConstruct, reason string, appliesTo ...any) {
	cdknag.NagSuppressions_AddResourceSuppressions(policy, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String(reason), AppliesTo: &appliesTo},
	}, jsii.Bool(false))
}

// matching returns a cdk-nag finding pattern.
func matching(regex string) *cdknag.RegexAppliesTo {
	return &cdknag.RegexAppliesTo{Regex: jsii.String(regex)}
}

// suppressManagedPolicy records why role may use the AWS managed policy
// name (service-role/NAME); any other managed policy still fails the check.
func suppressManagedPolicy(role constructs.IConstruct, name, reason string) {
	if child := role.Node().DefaultChild(); child != nil {
		role = child
	}
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM4"),
		Reason:    jsii.String(reason),
		AppliesTo: &[]any{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/" + name},
	}}, jsii.Bool(false))
}
