package stacks

import (
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/githuboidc"
	"github.com/djangocdk/djangocdk/constructs/releasepipeline"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

// newGitHubDriver creates the GitHub Actions driver of the release in the
// Pipeline stack: the OIDC provider (or the existing one), the roles the
// generated workflows assume, and the parameters from which the release
// workflow reads the scripts' variables (the same values the Build and
// Release projects get). The release role gets exactly the permissions of
// those projects, from the same grants (releasepipeline.GrantRelease), and
// reading those parameters.
func newGitHubDriver(stack awscdk.Stack, cfg *Config, release *releasepipeline.Props) (*githuboidc.GitHub, error) {
	p := cfg.Pipeline
	g, err := githuboidc.New(stack, "GitHub", &githuboidc.Props{
		ProviderArn:           p.GitHub.ProviderArn,
		Repository:            p.Repository,
		Branch:                p.Branch,
		Environment:           p.GitHub.Environment,
		RoleNamePrefix:        cfg.StackName("github"),
		ReleaseSessionMinutes: p.GitHubReleaseSessionMinutes(),
	})
	if err != nil {
		return nil, err
	}
	if err := releasepipeline.GrantRelease(stack, g.ReleaseRole(), release); err != nil {
		return nil, err
	}
	buildEnv, err := releasepipeline.BuildEnvironment(release)
	if err != nil {
		return nil, err
	}
	releaseEnv, err := releasepipeline.ReleaseEnvironment(release)
	if err != nil {
		return nil, err
	}
	env := map[string]string{"PLATFORM": releasepipeline.Platform(release.Arm64)}
	maps.Copy(env, buildEnv)
	maps.Copy(env, releaseEnv)
	// One parameter per variable, each value a whole property: a value
	// from another stack (Fn::GetStackOutput) may not be nested in a join.
	// SSM stores no empty value; the scripts read an unset variable as empty.
	path := GitHubEnvironmentPath(cfg)
	for _, name := range slices.Sorted(maps.Keys(env)) { // a template comes out the same every time
		if env[name] == "" {
			continue
		}
		awsssm.NewStringParameter(stack, jsii.String("GitHubEnvironment"+name), &awsssm.StringParameterProps{
			ParameterName: jsii.String(path + "/" + name),
			StringValue:   jsii.String(env[name]),
			Description:   jsii.String(name + " of build.sh and release.sh for the GitHub release workflow"),
		})
	}
	g.ReleaseRole().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ssm:GetParametersByPath"),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ssm"), Resource: jsii.String("parameter"), ResourceName: jsii.String(strings.TrimPrefix(path, "/")),
		})),
	}))
	suppressReleaseGrants(g.ReleaseRole())
	suppressWildcards(g.ReleaseRole(), "CDK's grant on the frontend buckets (what publish.sh uploads, replaces and deletes): these actions on those buckets and their objects only.",
		"Action::s3:Abort*", "Action::s3:DeleteObject*", "Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*")
	output(stack, "GitHubReleaseRole", "The role the GitHub release workflow assumes", g.ReleaseRole().RoleArn())
	return g, nil
}
