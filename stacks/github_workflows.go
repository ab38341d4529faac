package stacks

import (
	"bytes"
	"encoding/json"
	"path"
	"strings"
	"text/template"

	"github.com/djangocdk/djangocdk/constructs/githuboidc"
)

// WorkflowsDir is where GitHub reads workflows, relative to the root of the
// repository.
const WorkflowsDir = ".github/workflows"

// Action is a GitHub action pinned by the full SHA of a release's commit.
type Action struct {
	// Name is owner/repository.
	Name string
	// SHA is the commit of the release Tag.
	SHA string
	// Tag is the release, for people and for updates.
	Tag string
}

// Uses returns the value of a step's uses: the action at its commit.
func (a Action) Uses() string { return a.Name + "@" + a.SHA }

// The actions the workflows use, pinned to the commits of these releases
// (a tag can be moved; a commit cannot).
var (
	CheckoutAction       = Action{"actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"}
	SetupGoAction        = Action{"actions/setup-go", "b7ad1dad31e06c5925ef5d2fc7ad053ef454303e", "v7.0.0"}
	SetupNodeAction      = Action{"actions/setup-node", "820762786026740c76f36085b0efc47a31fe5020", "v7.0.0"}
	AWSCredentialsAction = Action{"aws-actions/configure-aws-credentials", "e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"}
)

// GitHubReleaseWorkflow and GitHubDiffWorkflow name the files of
// environment env's workflows in WorkflowsDir.
func GitHubReleaseWorkflow(env string) string { return "djangocdk-" + env + ".yml" }

// GitHubDiffWorkflow names the pull request workflow of env (see
// GitHubReleaseWorkflow).
func GitHubDiffWorkflow(env string) string { return "djangocdk-" + env + "-diff.yml" }

// GitHubEnvironmentCommand is the release workflow's step that appends the
// parameters under path (one per variable of the scripts, see
// GitHubEnvironmentPath) to $GITHUB_ENV, each in the multiline form
// NAME<<DELIMITER, value, DELIMITER.
func GitHubEnvironmentCommand(path string) string {
	return `aws ssm get-parameters-by-path --path ` + path + `/ --output json |
  jq -r '.Parameters[] | "\(.Name | ltrimstr("` + path + `/"))<<DJANGOCDK_EOF\n\(.Value)\nDJANGOCDK_EOF"' >> "$GITHUB_ENV"`
}

// GitHubWorkflows returns the GitHub Actions workflows of cfg's environment
// by file name in WorkflowsDir, none unless pipeline.driver uses GitHub:
//
//   - GitHubReleaseWorkflow(env), on a push to pipeline.branch: cdk deploy
//     of every stack (the deploy role), then build.sh and release.sh, the
//     release scripts the pipeline runs (the release role), in one job, in
//     the GitHub environment pipeline.github.environment if set, and in one
//     concurrency group per environment that never cancels a running
//     release;
//   - GitHubDiffWorkflow(env), on a pull request to pipeline.branch: cdk
//     diff of every stack (the diff role), posted on the pull request.
func GitHubWorkflows(cfg *Config) map[string]string {
	p := cfg.Pipeline
	if !p.UsesGitHub() {
		return nil
	}
	infra := p.GitHub.InfraDirectory
	data := map[string]any{
		"Env":          cfg.Env,
		"Branch":       quote(p.Branch),
		"Environment":  p.GitHub.Environment,
		"Region":       cfg.Region,
		"Infra":        infra,
		"GoMod":        path.Join(infra, "go.mod"),
		"GoSum":        path.Join(infra, "go.sum"),
		"Node":         quote(p.NodeVersion),
		"Runner":       "ubuntu-24.04",
		"JobMinutes":   p.GitHubJobMinutes(),
		"DeployRole":   roleArn(cfg, GitHubRoleName(cfg, "deploy")),
		"DeploySecs":   githuboidc.DeploySessionMinutes * 60,
		"ReleaseRole":  roleArn(cfg, GitHubRoleName(cfg, "release")),
		"ReleaseSecs":  p.GitHubReleaseSessionMinutes() * 60,
		"DiffRole":     roleArn(cfg, GitHubRoleName(cfg, "diff")),
		"ReadSettings": indent(GitHubEnvironmentCommand(GitHubEnvironmentPath(cfg)), 10),
		"Locate":       LocateScriptsCommand,
		"Build":        `bash "$` + ScriptsVariable + `/build.sh"`,
		"Release":      `bash "$` + ScriptsVariable + `/release.sh"`,
		"Checkout":     CheckoutAction,
		"SetupGo":      SetupGoAction,
		"SetupNode":    SetupNodeAction,
		"Credentials":  AWSCredentialsAction,
	}
	if cfg.Compute.CpuArchitecture == "ARM64" {
		data["Runner"] = "ubuntu-24.04-arm" // build.sh builds for the tasks' architecture, natively
	}
	return map[string]string{
		GitHubReleaseWorkflow(cfg.Env): render(releaseWorkflow, data),
		GitHubDiffWorkflow(cfg.Env):    render(diffWorkflow, data),
	}
}

// ScriptsDir holds the release scripts in this module.
const ScriptsDir = "constructs/releasepipeline/scripts"

// ScriptsVariable is the variable through which the release workflow finds
// the release scripts.
const ScriptsVariable = "DJANGOCDK_SCRIPTS"

// LocateScriptsCommand sets ScriptsVariable to the release scripts of the
// djangocdk module the CDK app builds with: this checkout when the app is
// djangocdk itself, the module cache (or a replace directory) when a
// monorepo's infrastructure folder depends on it. Run in that folder.
const LocateScriptsCommand = `echo "` + ScriptsVariable + `=$(go list -m -f '{{.Dir}}' github.com/djangocdk/djangocdk)/` + ScriptsDir + `" >> "$GITHUB_ENV"`

// roleArn returns the ARN of the role name in cfg's account.
func roleArn(cfg *Config, name string) string {
	partition := "aws"
	switch {
	case strings.HasPrefix(cfg.Region, "cn-"):
		partition = "aws-cn"
	case strings.HasPrefix(cfg.Region, "us-gov-"):
		partition = "aws-us-gov"
	}
	return "arn:" + partition + ":iam::" + cfg.Account + ":role/" + name
}

// quote returns s as a YAML double-quoted scalar (JSON's quoting is valid
// YAML).
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// indent indents every line of s but the first by n spaces.
func indent(s string, n int) string {
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
}

func render(t *template.Template, data any) string {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		panic("stacks: workflow template: " + err.Error()) // a mistake in the template, not in config
	}
	return b.String()
}

const workflowHeader = `# Generated by djangocdk from cdk.json (environment {{.Env}}): do not edit.
# Regenerate in {{.Infra}} (the CDK app): go test . -run TestGitHubWorkflows -update
`

// The steps both workflows take before the CDK CLI can run.
const cdkSetup = `      - name: Check out
        uses: {{.Checkout.Uses}} # {{.Checkout.Tag}}
      - name: Set up Go
        uses: {{.SetupGo.Uses}} # {{.SetupGo.Tag}}
        with:
          go-version-file: {{.GoMod}}
          cache-dependency-path: {{.GoSum}}
      - name: Set up Node
        uses: {{.SetupNode.Uses}} # {{.SetupNode.Tag}}
        with:
          node-version: {{.Node}}
      - name: Install the CDK CLI
        working-directory: {{.Infra}}
        run: npm ci
`

var releaseWorkflow = template.Must(template.New("release").Parse(workflowHeader + `name: djangocdk {{.Env}}
on:
  push:
    branches:
      - {{.Branch}}
permissions:
  id-token: write
  contents: read
# One run at a time per environment; a running release is never cancelled
# (a newer push waits, and replaces a run still waiting).
concurrency:
  group: djangocdk-{{.Env}}
  cancel-in-progress: false
defaults:
  run:
    shell: bash
jobs:
  release:
    name: Deploy the infrastructure, then release to {{.Env}}
    runs-on: {{.Runner}}
{{- if .Environment}}
    environment: {{.Environment}}
{{- end}}
    timeout-minutes: {{.JobMinutes}}
    steps:
` + cdkSetup + `      - name: Assume the deploy role
        uses: {{.Credentials.Uses}} # {{.Credentials.Tag}}
        with:
          role-to-assume: {{.DeployRole}}
          aws-region: {{.Region}}
          role-duration-seconds: {{.DeploySecs}}
      - name: Deploy the infrastructure
        working-directory: {{.Infra}}
        run: npx cdk deploy --all -c env={{.Env}} --require-approval never --no-notices
      - name: Assume the release role
        uses: {{.Credentials.Uses}} # {{.Credentials.Tag}}
        with:
          role-to-assume: {{.ReleaseRole}}
          aws-region: {{.Region}}
          role-duration-seconds: {{.ReleaseSecs}}
      - name: Locate the release scripts of the djangocdk module the app builds with
        working-directory: {{.Infra}}
        run: {{.Locate}}
      - name: Read the release settings
        run: |
          {{.ReadSettings}}
      - name: Build the image tagged by the commit, check the migrations, build the frontends
        run: {{.Build}}
        env:
          IMAGE_TAG: ${{"{{"}} github.sha {{"}}"}}
      - name: Migrate, collect the static files, deploy and wait, publish the frontends
        run: {{.Release}}
        env:
          IMAGE_TAG: ${{"{{"}} github.sha {{"}}"}}
`))

var diffWorkflow = template.Must(template.New("diff").Parse(workflowHeader + `name: djangocdk {{.Env}} diff
on:
  pull_request:
    branches:
      - {{.Branch}}
permissions:
  id-token: write
  contents: read
defaults:
  run:
    shell: bash
jobs:
  diff:
    name: cdk diff against {{.Env}}
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    permissions:
      id-token: write
      contents: read
      # The one write: the diff, as a comment on this pull request.
      pull-requests: write
    steps:
` + cdkSetup + `      - name: Assume the diff role
        uses: {{.Credentials.Uses}} # {{.Credentials.Tag}}
        with:
          role-to-assume: {{.DiffRole}}
          aws-region: {{.Region}}
          role-duration-seconds: 3600
      - name: cdk diff
        working-directory: {{.Infra}}
        run: npx cdk diff --all -c env={{.Env}} --no-notices 2>&1 | tee "$RUNNER_TEMP/cdk-diff.txt"
      - name: Post the diff on the pull request
        env:
          GH_TOKEN: ${{"{{"}} github.token {{"}}"}}
          PR: ${{"{{"}} github.event.pull_request.number {{"}}"}}
        run: |
          { echo "cdk diff against {{.Env}}:"; echo '~~~'; tail -c 60000 "$RUNNER_TEMP/cdk-diff.txt"; echo '~~~'; } >"$RUNNER_TEMP/cdk-diff.md"
          gh pr comment "$PR" --repo "$GITHUB_REPOSITORY" --body-file "$RUNNER_TEMP/cdk-diff.md"
`))
