package releasepipeline

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The release, whoever drives it: the variables the scripts read and the
// permissions they need, in one place, so that the Release project and
// another driver of the same scripts (a GitHub Actions workflow) get the
// same values and the same permissions.

// ReleaseEnvironment returns the variables release.sh (and the scripts it
// runs) reads, as the Release project gets them: every variable but
// IMAGE_TAG and AWS_REGION, which each run sets. Values may be tokens. Only
// the fields a release uses are checked; the pipeline's own (ConnectionArn,
// Repository, Branch, Notifications, EncryptionKey) may be empty.
func ReleaseEnvironment(props *Props) (map[string]string, error) {
	p, err := props.defaulted(false)
	if err != nil {
		return nil, err
	}
	return p.releaseEnvironment(), nil
}

// BuildEnvironment returns the variables build.sh reads, as the Build
// project gets them, but IMAGE_TAG (set by each run) and PLATFORM (see
// Platform).
func BuildEnvironment(props *Props) (map[string]string, error) {
	p, err := props.defaulted(false)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"REPOSITORY_URI": *p.ImageRepository.RepositoryUri(),
		"DOCKERFILE":     p.Dockerfile,
		"CONTEXT":        p.DockerContext,
		"CHECK_SETTINGS": p.CheckSettings,
		"FRONTEND_BUILD": p.FrontendBuild,
	}, nil
}

// Platform returns the image platform build.sh builds for: linux/arm64
// with arm64, else linux/amd64.
func Platform(arm64 bool) string {
	if arm64 {
		return "linux/arm64"
	}
	return "linux/amd64"
}

// GrantRelease gives grantee exactly what the Build and Release projects
// may do (build.sh, then release.sh and its scripts), scoped as for them:
// one role that both builds and releases, for a driver of the scripts
// other than the pipeline. scope is the stack the ARNs are formatted in.
// The fields are checked as ReleaseEnvironment checks them.
func GrantRelease(scope constructs.Construct, grantee awsiam.IGrantable, props *Props) error {
	p, err := props.defaulted(false)
	if err != nil {
		return err
	}
	p.grantBuild(grantee)
	p.grantRelease(awscdk.Stack_Of(scope), grantee)
	return nil
}

// releaseEnvironment returns the Release project's variables.
func (p *Props) releaseEnvironment() map[string]string {
	var frontends, services []string
	for _, f := range p.Frontends {
		frontends = append(frontends, strings.Join([]string{f.BuildDir, f.AssetsPrefix, *f.Bucket.BucketName(), *f.Distribution.DistributionId()}, " "))
	}
	for _, s := range p.Services {
		services = append(services, *s.ServiceName())
	}
	env := map[string]string{
		"REPOSITORY_URI":         *p.ImageRepository.RepositoryUri(),
		"CLUSTER":                *p.Cluster.ClusterName(),
		"SUBNETS":                join(",", p.MigrationSubnets),
		"SECURITY_GROUP":         *p.MigrationSecurityGroup.SecurityGroupId(),
		"MIGRATE_FAMILY":         *p.Migration.Family(),
		"STATIC_FAMILY":          "",
		"STACK":                  p.ComputeStackName,
		"TAG_PARAMETER":          p.TagParameterName,
		"SERVICES":               join(" ", jsii.Strings(services...)),
		"CFN_ROLE_ARN":           *p.DeployRoleArn,
		"FRONTENDS":              join("\n", jsii.Strings(frontends...)),
		"PUBLISH_FRONTENDS":      "true",
		"TASK_TIMEOUT_SECONDS":   fmt.Sprint(p.TaskTimeoutMinutes * 60),
		"DEPLOY_TIMEOUT_SECONDS": fmt.Sprint(p.DeployTimeoutMinutes * 60),
	}
	if p.StaticFiles != nil {
		env["STATIC_FAMILY"] = *p.StaticFiles.Family()
	}
	if p.MigrationPublicIP {
		env["ASSIGN_PUBLIC_IP"] = "ENABLED"
	}
	return env
}

// grantBuild gives grantee what build.sh calls: push to and pull from the
// image repository (the layer cache), and look up an image by tag.
func (p *Props) grantBuild(grantee awsiam.IGrantable) {
	p.ImageRepository.GrantPullPush(grantee)
	p.ImageRepository.Grant(grantee, jsii.String("ecr:DescribeImages"))
}

// grantRelease gives grantee (the Release project, or another driver of
// the same scripts) what release.sh and the scripts it runs call, scoped to
// this environment's resources: run revisions of the one-off task families
// in the cluster, write the image tag parameter, tag the released image
// (release-*), update the Compute stack
// through CloudFormation's role, read the services, their scaling and
// target health, and publish the frontends.
func (p *Props) grantRelease(stack awscdk.Stack, release awsiam.IGrantable) {
	statement := func(actions []string, resources []*string, conditions map[string]any) {
		props := &awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: &resources}
		if conditions != nil {
			props.Conditions = &conditions
		}
		release.GrantPrincipal().AddToPrincipalPolicy(awsiam.NewPolicyStatement(props))
	}
	arn := func(service, resource, name string) *string {
		return stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String(service), Resource: jsii.String(resource), ResourceName: jsii.String(name)})
	}
	inCluster := map[string]any{"ArnEquals": map[string]any{"ecs:cluster": p.Cluster.ClusterArn()}}
	everything := []*string{jsii.String("*")}

	// An unpushed image fails the release before anything changes; a
	// released one gets its release-* tag: its manifest, put back under a
	// new tag (no layer upload: no new image).
	p.ImageRepository.Grant(release, jsii.String("ecr:DescribeImages"), jsii.String("ecr:BatchGetImage"), jsii.String("ecr:PutImage"))

	definitions := []awsecs.FargateTaskDefinition{p.Migration}
	if p.StaticFiles != nil {
		definitions = append(definitions, p.StaticFiles)
	}
	var families []*string
	for _, d := range definitions {
		families = append(families, arn("ecs", "task-definition", *d.Family()+":*"))
		if role := d.ExecutionRole(); role != nil { // none without a private image, logs or secrets
			role.GrantPassRole(release.GrantPrincipal())
		}
		d.TaskRole().GrantPassRole(release.GrantPrincipal())
	}
	// Neither action takes a resource.
	statement([]string{"ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"}, everything, nil)
	statement([]string{"ecs:RunTask"}, families, inCluster)
	statement([]string{"ecs:ListTasks"}, everything, inCluster)
	statement([]string{"ecs:DescribeTasks", "ecs:StopTask"}, []*string{arn("ecs", "task", *p.Cluster.ClusterName()+"/*")}, nil)

	tagParameter := arn("ssm", "parameter", strings.TrimPrefix(p.TagParameterName, "/"))
	statement([]string{"ssm:GetParameter", "ssm:PutParameter"}, []*string{tagParameter}, nil)
	// CloudFormation resolves the Compute stack's SSM parameters (the image
	// tag, the bootstrap version, the values of earlier stacks) with the
	// caller's permissions.
	resolved := []*string{tagParameter, arn("ssm", "parameter", "cdk-bootstrap/*")}
	for _, name := range p.StackParameterNames {
		resolved = append(resolved, arn("ssm", "parameter", strings.TrimPrefix(name, "/")))
	}
	statement([]string{"ssm:GetParameters"}, resolved, nil)
	statement([]string{"cloudformation:DescribeStacks", "cloudformation:UpdateStack", "cloudformation:CancelUpdateStack"},
		[]*string{arn("cloudformation", "stack", p.ComputeStackName+"/*")}, nil)
	statement([]string{"iam:PassRole"}, []*string{p.DeployRoleArn},
		map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "cloudformation.amazonaws.com"}})

	var serviceArns []*string
	for _, s := range p.Services {
		serviceArns = append(serviceArns, s.ServiceArn())
	}
	statement([]string{"ecs:DescribeServices"}, serviceArns, nil)
	// Read-only calls without resource-level permissions: the services'
	// scaling minimums and their targets' health.
	statement([]string{"application-autoscaling:DescribeScalableTargets", "elasticloadbalancing:DescribeTargetHealth"}, everything, nil)

	for _, f := range p.Frontends {
		f.Bucket.GrantReadWrite(release, nil)
		f.Distribution.GrantCreateInvalidation(release)
	}
}
