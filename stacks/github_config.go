package stacks

import (
	"path"
	"regexp"
	"strings"

	"github.com/djangocdk/djangocdk/constructs/githuboidc"
	"github.com/djangocdk/djangocdk/constructs/releasepipeline"
)

// Release drivers: what runs the release scripts on a push to
// pipeline.branch (pipeline.driver).
const (
	// DriverCodePipeline releases with CodePipeline and CodeBuild, the source
	// through a CodeConnections connection.
	DriverCodePipeline = "codepipeline"
	// DriverGitHub releases with the GitHub Actions workflows that
	// GitHubWorkflows generates, through GitHub's OIDC provider: no
	// CodePipeline, CodeBuild or connection.
	DriverGitHub = "github"
	// DriverBoth runs both (a migration from one to the other).
	DriverBoth = "both"
)

// GitHubConfig configures the GitHub Actions release driver.
type GitHubConfig struct {
	// ProviderArn is the account's existing OIDC provider for
	// token.actions.githubusercontent.com; empty creates it (IAM allows one
	// per account: set it in every other environment of the account).
	ProviderArn string `json:"providerArn"`
	// Environment is the GitHub environment the release job runs in (its
	// required reviewers are the approval); empty: none, the roles trust the
	// branch.
	Environment string `json:"environment"`
	// InfraDirectory is where this CDK app lives in the monorepo, relative to
	// its root ("." for the root): the workflows run its scripts and the CDK
	// CLI there, and are written to .github/workflows of the root.
	InfraDirectory string `json:"infraDirectory"`
}

// GitHubJobLimitMinutes is how long a job may run on a GitHub-hosted runner.
const GitHubJobLimitMinutes = 360

// githubInfraMinutes bounds cdk deploy of every stack in the release job:
// the deploy role's session.
const githubInfraMinutes = githuboidc.DeploySessionMinutes

// githubBuildMinutes bounds build.sh (the image, the check, the frontends).
const githubBuildMinutes = 60

var githubEnvironmentPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,255}$`)

// UsesCodePipeline reports whether the environment releases with CodePipeline.
func (p *PipelineConfig) UsesCodePipeline() bool {
	return p.Driver == DriverCodePipeline || p.Driver == DriverBoth
}

// UsesGitHub reports whether the environment releases with GitHub Actions.
func (p *PipelineConfig) UsesGitHub() bool {
	return p.Driver == DriverGitHub || p.Driver == DriverBoth
}

// ReleaseMinutes bounds release.sh: two one-off tasks, the stack update,
// the wait for the services and a rollback after a timeout (each bounded),
// and a margin; the Release project's timeout.
func (p *PipelineConfig) ReleaseMinutes() int {
	return 2*p.TaskTimeoutMinutes + 3*p.DeployTimeoutMinutes + 15
}

// GitHubReleaseSessionMinutes is the GitHub release role's session: the
// build and the release.
func (p *PipelineConfig) GitHubReleaseSessionMinutes() int {
	return githubBuildMinutes + p.ReleaseMinutes()
}

// GitHubJobMinutes is the release job's timeout: the infrastructure deploy,
// the build and the release.
func (p *PipelineConfig) GitHubJobMinutes() int {
	return githubInfraMinutes + p.GitHubReleaseSessionMinutes()
}

// GitHubRoleName returns the name of a role of the GitHub driver: kind is
// release, diff or deploy (see githuboidc).
func GitHubRoleName(cfg *Config, kind string) string {
	return cfg.StackName("github") + "-" + kind
}

// GitHubEnvironmentPath is the SSM path under which one parameter per
// variable of build.sh and release.sh (named after it) holds its value: the
// release workflow appends them to $GITHUB_ENV before running the scripts.
func GitHubEnvironmentPath(cfg *Config) string {
	return "/" + cfg.Project + "/" + cfg.Env + "/github/release-environment"
}

func (p *PipelineConfig) validateDriver(v *validator) {
	switch p.Driver {
	case DriverCodePipeline, DriverBoth:
		if p.ConnectionArn == "" {
			v.fail("pipeline.connectionArn", "empty; create a connection to the monorepo's host (CodePipeline console, Settings > Connections), authorize it, and give its ARN (or set pipeline.driver to %q)", DriverGitHub)
		} else {
			v.check("pipeline.connectionArn", releasepipeline.CheckConnection(p.ConnectionArn))
		}
	case DriverGitHub:
	default:
		v.fail("pipeline.driver", "%q is not a release driver; use %q, %q or %q", p.Driver, DriverCodePipeline, DriverGitHub, DriverBoth)
		return
	}
	if !p.UsesGitHub() {
		return
	}
	g := p.GitHub
	if g.ProviderArn != "" && !strings.HasSuffix(g.ProviderArn, ":oidc-provider/"+githuboidc.Issuer) {
		v.fail("pipeline.github.providerArn", "%q is not the ARN of the account's OIDC provider for %s (arn:aws:iam::ACCOUNT:oidc-provider/%s), or empty to create it",
			g.ProviderArn, githuboidc.Issuer, githuboidc.Issuer)
	}
	if g.Environment != "" && !githubEnvironmentPattern.MatchString(g.Environment) {
		v.fail("pipeline.github.environment", "%q is not a GitHub environment name (letters, digits, _ . -)", g.Environment)
	}
	if p.ManualApproval && g.Environment == "" {
		v.fail("pipeline.github.environment", "empty, but pipeline.manualApproval is true: with the %q driver the approval is a GitHub environment's required reviewers; name that environment", p.Driver)
	}
	if g.InfraDirectory != "." && (!inRepository(g.InfraDirectory) || path.Clean(g.InfraDirectory) != g.InfraDirectory) {
		v.fail("pipeline.github.infraDirectory", "%q is not a directory inside the monorepo such as infra, or . for its root", g.InfraDirectory)
	}
	if m := p.GitHubJobMinutes(); m > GitHubJobLimitMinutes {
		v.fail("pipeline.taskTimeoutMinutes", "%d and pipeline.deployTimeoutMinutes %d make a GitHub release job of %d minutes (%d for cdk deploy, %d for the build, 2 tasks, 3 deploy waits and 15); GitHub-hosted runners stop a job at %d",
			p.TaskTimeoutMinutes, p.DeployTimeoutMinutes, m, githubInfraMinutes, githubBuildMinutes, GitHubJobLimitMinutes)
	}
}
