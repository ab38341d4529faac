// Package githuboidc provides the AWS side of GitHub Actions' OpenID
// Connect federation for one environment: the account's identity provider
// for token.actions.githubusercontent.com (created, or an existing one used
// by ARN: IAM allows one per URL and account), and three roles that only
// workflows of one repository can assume, each on a subject named exactly,
// never a wildcard:
//
//   - Release: trusted for the branch or GitHub environment that releases;
//     it has no permission of its own: the caller grants what the release
//     needs (see releasepipeline.GrantRelease);
//   - Diff: trusted for the repository's pull requests; may only assume the
//     CDK bootstrap's lookup role (read-only), for cdk diff;
//   - Deploy: trusted as Release is; may only assume the CDK bootstrap's
//     deploy, file-publishing, image-publishing and lookup roles, for cdk
//     deploy.
package githuboidc

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/internal/args"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
)

// Issuer is GitHub Actions' OIDC token issuer, the provider's URL.
const Issuer = "token.actions.githubusercontent.com"

// MaxSessionMinutes is IAM's longest role session.
const MaxSessionMinutes = 720

// DeploySessionMinutes is the Deploy role's longest session: cdk deploy of
// every stack, a database among them, can outlast an hour.
const DeploySessionMinutes = 120

// Audience is the aud claim aws-actions/configure-aws-credentials asks for.
const Audience = "sts.amazonaws.com"

var (
	repositoryPattern  = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	branchPattern      = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
	environmentPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,255}$`)
	providerPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/` + regexp.QuoteMeta(Issuer) + `$`)
	qualifierPattern   = regexp.MustCompile(`^[a-z0-9_-]{1,10}$`)
	roleNamePattern    = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,50}$`)
)

// Props configures a GitHub federation.
type Props struct {
	// ProviderArn is the account's existing OIDC provider for
	// token.actions.githubusercontent.com. Default: "" (created here, and
	// retained when removed from the stack: other stacks may trust it).
	ProviderArn string
	// Repository is the GitHub repository as "owner/name". Required.
	Repository string
	// Branch that releases and deploys: the subject
	// repo:OWNER/NAME:ref:refs/heads/BRANCH. Required unless Environment is set.
	Branch string
	// Environment is the GitHub environment the release and deploy jobs run
	// in; when set, the subject is repo:OWNER/NAME:environment:NAME
	// (GitHub puts the environment in the token instead of the branch).
	// Default: "" (the branch subject).
	Environment string
	// RoleNamePrefix names the roles <prefix>-release, <prefix>-diff and
	// <prefix>-deploy, which the workflows name. Required.
	RoleNamePrefix string
	// ReleaseSessionMinutes is the longest session of the Release role, at
	// least a whole release (the workflow asks for this much). Default: 60.
	ReleaseSessionMinutes int
	// Qualifier of the CDK bootstrap whose roles Diff and Deploy may
	// assume. Default: awscdk.DefaultStackSynthesizer_DEFAULT_QUALIFIER().
	Qualifier string
}

// GitHub is the identity provider and the roles of one environment.
type GitHub struct {
	constructs.Construct
	provider awsiam.IOidcProvider
	release  awsiam.Role
	diff     awsiam.Role
	deploy   awsiam.Role
}

// New creates the federation under scope, or, before creating anything,
// returns an error that starts with the construct's path and names every
// invalid field of props.
func New(scope constructs.Construct, id string, props *Props) (*GitHub, error) {
	var p Props
	if props != nil {
		p = *props
	}
	if p.Qualifier == "" {
		p.Qualifier = *awscdk.DefaultStackSynthesizer_DEFAULT_QUALIFIER()
	}
	if p.ReleaseSessionMinutes == 0 {
		p.ReleaseSessionMinutes = 60
	}
	var problems propserr.List
	if p.ReleaseSessionMinutes < 60 || p.ReleaseSessionMinutes > MaxSessionMinutes {
		problems.Add("githuboidc.Props.ReleaseSessionMinutes", "%d is outside 60 to %d (IAM's limits of a role session)", p.ReleaseSessionMinutes, MaxSessionMinutes)
	}
	if !repositoryPattern.MatchString(p.Repository) {
		problems.Add("githuboidc.Props.Repository", "%q is not a repository as owner/name (no wildcard)", p.Repository)
	}
	if p.Environment == "" && (!branchPattern.MatchString(p.Branch) || strings.Contains(p.Branch, "..")) {
		problems.Add("githuboidc.Props.Branch", "%q is not a branch name (no wildcard)", p.Branch)
	}
	if p.Environment != "" && !environmentPattern.MatchString(p.Environment) {
		problems.Add("githuboidc.Props.Environment", "%q is not a GitHub environment name (letters, digits, _ . -; no wildcard)", p.Environment)
	}
	if p.ProviderArn != "" && !providerPattern.MatchString(p.ProviderArn) {
		problems.Add("githuboidc.Props.ProviderArn", "%q is not the ARN of an OIDC provider for %s (arn:aws:iam::ACCOUNT:oidc-provider/%s)", p.ProviderArn, Issuer, Issuer)
	}
	if !roleNamePattern.MatchString(p.RoleNamePrefix) {
		problems.Add("githuboidc.Props.RoleNamePrefix", "%q is not the start of a role name (1 to 50 of A-Z a-z 0-9 +=,.@_-)", p.RoleNamePrefix)
	}
	if !qualifierPattern.MatchString(p.Qualifier) {
		problems.Add("githuboidc.Props.Qualifier", "%q is not a CDK bootstrap qualifier", p.Qualifier)
	}
	if err := propserr.At(scope, id, problems); err != nil {
		return nil, err
	}

	g := &GitHub{}
	constructs.NewConstruct_Override(g, scope, jsii.String(id))
	if p.ProviderArn != "" {
		g.provider = awsiam.OidcProviderNative_FromOidcProviderArn(g, jsii.String("Provider"), jsii.String(p.ProviderArn))
	} else {
		g.provider = awsiam.NewOidcProviderNative(g, jsii.String("Provider"), &awsiam.OidcProviderNativeProps{
			Url:       jsii.String("https://" + Issuer),
			ClientIds: jsii.Strings(Audience),
			// One per account: other stacks' roles may come to trust it.
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
	}
	releaseSubject := BranchSubject(p.Repository, p.Branch)
	if p.Environment != "" {
		releaseSubject = EnvironmentSubject(p.Repository, p.Environment)
	}
	stack := awscdk.Stack_Of(g)
	bootstrapRole := func(kind string) *string {
		return stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("role"),
			ResourceName: jsii.String(fmt.Sprintf("cdk-%s-%s-role-%s-%s", p.Qualifier, kind, *stack.Account(), *stack.Region())),
		})
	}
	assume := func(role awsiam.Role, kinds ...string) {
		var arns []*string
		for _, kind := range kinds {
			arns = append(arns, bootstrapRole(kind))
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("sts:AssumeRole"), Resources: &arns,
		}))
	}
	g.release = g.role("Release", p.RoleNamePrefix+"-release", releaseSubject, p.ReleaseSessionMinutes,
		"GitHub Actions: builds and releases "+p.Repository+" (the release scripts)")
	g.diff = g.role("Diff", p.RoleNamePrefix+"-diff", PullRequestSubject(p.Repository), 60,
		"GitHub Actions: cdk diff on pull requests of "+p.Repository+" (the CDK lookup role only)")
	assume(g.diff, "lookup")
	g.deploy = g.role("Deploy", p.RoleNamePrefix+"-deploy", releaseSubject, DeploySessionMinutes,
		"GitHub Actions: cdk deploy from "+p.Repository+" (the CDK bootstrap roles only)")
	assume(g.deploy, "deploy", "file-publishing", "image-publishing", "lookup")
	return g, nil
}

// role creates a role that only tokens for subject can assume, for
// sessions of up to minutes.
func (g *GitHub) role(id, name, subject string, minutes int, description string) awsiam.Role {
	return awsiam.NewRole(g, jsii.String(id), &awsiam.RoleProps{
		RoleName:    jsii.String(name),
		Description: args.Optional(description),
		AssumedBy: awsiam.NewOpenIdConnectPrincipal(g.provider, &map[string]any{
			"StringEquals": map[string]any{
				Issuer + ":aud": Audience,
				Issuer + ":sub": subject,
			},
		}),
		MaxSessionDuration: awscdk.Duration_Minutes(jsii.Number(minutes)),
	})
}

// BranchSubject is the sub claim of a job on a push to branch of repository.
func BranchSubject(repository, branch string) string {
	return "repo:" + repository + ":ref:refs/heads/" + branch
}

// EnvironmentSubject is the sub claim of a job that runs in the GitHub
// environment of repository.
func EnvironmentSubject(repository, environment string) string {
	return "repo:" + repository + ":environment:" + environment
}

// PullRequestSubject is the sub claim of a job run for a pull request of
// repository.
func PullRequestSubject(repository string) string {
	return "repo:" + repository + ":pull_request"
}

// Provider returns the OIDC provider, created or imported.
func (g *GitHub) Provider() awsiam.IOidcProvider { return g.provider }

// ReleaseRole returns the role of the release workflow; grant it what the
// release needs.
func (g *GitHub) ReleaseRole() awsiam.Role { return g.release }

// DiffRole returns the role of cdk diff on pull requests.
func (g *GitHub) DiffRole() awsiam.Role { return g.diff }

// DeployRole returns the role of cdk deploy on the release branch.
func (g *GitHub) DeployRole() awsiam.Role { return g.deploy }
