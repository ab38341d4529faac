package main

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/djangocdk/djangocdk/stacks"
	"gopkg.in/yaml.v3"
)

// githubVariant is production released by GitHub Actions only, in the
// GitHub environment "production" (its required reviewers are the
// approval). It is execVariant: one synthesis fewer keeps go test fast, and
// neither setting touches what the other's tests read.
func githubVariant(t *testing.T) *synthesized { return execVariant(t) }

// githubOnly is the edit of cdk.json that githubVariant makes.
var githubOnly = []any{
	"environments.production.pipeline.driver", "github",
	"environments.production.pipeline.github", map[string]any{"environment": "production"},
}

// config returns the Config of env as cdk.json (edited by edit) gives it.
func config(t *testing.T, env string, edit func(map[string]any)) *stacks.Config {
	t.Helper()
	ctx := cdkContext(t)
	ctx[stacks.EnvKey] = env
	if edit != nil {
		edit(ctx)
	}
	cfg, err := stacks.LoadConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// workflowsRoot returns the monorepo root's workflow directory, as seen
// from this directory (pipeline.github.infraDirectory below the root).
func workflowsRoot(cfg *stacks.Config) string {
	up := ""
	if dir := cfg.Pipeline.GitHub.InfraDirectory; dir != "." {
		up = strings.Repeat("../", strings.Count(dir, "/")+1)
	}
	return filepath.Join(up, stacks.WorkflowsDir)
}

// TestGitHubWorkflows keeps the generated workflows in .github/workflows
// of the monorepo true to cdk.json: a workflow that differs from what the
// config generates, or one of an environment that no longer uses GitHub,
// fails; -update rewrites them.
func TestGitHubWorkflows(t *testing.T) {
	want := map[string]string{} // path -> content
	dirs := map[string]bool{}
	for _, env := range environments {
		cfg := config(t, env, nil)
		dir := workflowsRoot(cfg)
		dirs[dir] = true
		for name, content := range stacks.GitHubWorkflows(cfg) {
			want[filepath.Join(dir, name)] = content
		}
	}
	if len(want) == 0 {
		t.Fatal("no environment of cdk.json uses the github driver; the shipped dev environment should")
	}
	for dir := range dirs {
		stale, _ := filepath.Glob(filepath.Join(dir, "djangocdk-*.yml"))
		for _, file := range stale {
			if _, ok := want[file]; ok {
				continue
			}
			if *update {
				os.Remove(file)
				continue
			}
			t.Errorf("%s belongs to no environment with pipeline.driver github or both; run go test . -update to remove it", file)
		}
	}
	for _, file := range slices.Sorted(maps.Keys(want)) {
		got, err := os.ReadFile(file)
		if string(got) == want[file] {
			continue
		}
		if *update {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(want[file]), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: run go test . -update to generate it", err)
			continue
		}
		t.Errorf("%s differs from what cdk.json generates; run go test . -update\n%s", file, firstDiff(want[file], string(got)))
	}
}

// workflow is the part of a GitHub Actions workflow the tests read.
type workflow struct {
	On          map[string]map[string][]string `yaml:"on"`
	Permissions map[string]string              `yaml:"permissions"`
	Concurrency *struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Jobs map[string]struct {
		RunsOn      string            `yaml:"runs-on"`
		Environment string            `yaml:"environment"`
		Permissions map[string]string `yaml:"permissions"`
		Steps       []struct {
			Name             string            `yaml:"name"`
			Uses             string            `yaml:"uses"`
			With             map[string]string `yaml:"with"`
			Run              string            `yaml:"run"`
			Env              map[string]string `yaml:"env"`
			WorkingDirectory string            `yaml:"working-directory"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// parseWorkflows returns cfg's generated workflows, parsed.
func parseWorkflows(t *testing.T, cfg *stacks.Config) (release, diff workflow) {
	t.Helper()
	files := stacks.GitHubWorkflows(cfg)
	for name, w := range map[string]*workflow{stacks.GitHubReleaseWorkflow(cfg.Env): &release, stacks.GitHubDiffWorkflow(cfg.Env): &diff} {
		if err := yaml.Unmarshal([]byte(files[name]), w); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, files[name])
		}
	}
	return release, diff
}

var pinned = regexp.MustCompile(`^[a-z0-9-]+/[a-z0-9-]+@[0-9a-f]{40}$`)

// TestGitHubWorkflowsRunTheReleaseScripts parses the generated workflows:
// the triggers, the permissions, one concurrency group per environment,
// actions pinned by commit, the roles, and every run step one of the
// release scripts that the pipeline runs (and scripts_test.go tests) or
// one of the few setup commands.
func TestGitHubWorkflowsRunTheReleaseScripts(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  *stacks.Config
	}{
		{"dev", config(t, "dev", nil)},
		{"production-github", githubVariant(t).cfg},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			env := cfg.Env
			release, diff := parseWorkflows(t, cfg)
			roles := map[string]string{}
			for _, kind := range []string{"release", "diff", "deploy"} {
				roles[kind] = "arn:aws:iam::" + cfg.Account + ":role/" + stacks.GitHubRoleName(cfg, kind)
			}
			readOnly := map[string]string{"id-token": "write", "contents": "read"}
			if !maps.Equal(release.Permissions, readOnly) || !maps.Equal(diff.Permissions, readOnly) {
				t.Errorf("workflow permissions %v and %v, want only %v", release.Permissions, diff.Permissions, readOnly)
			}
			if got := release.On["push"]["branches"]; !slices.Equal(got, []string{cfg.Pipeline.Branch}) || len(release.On) != 1 {
				t.Errorf("release runs on %v, want a push to %s only", release.On, cfg.Pipeline.Branch)
			}
			if got := diff.On["pull_request"]["branches"]; !slices.Equal(got, []string{cfg.Pipeline.Branch}) || len(diff.On) != 1 {
				t.Errorf("diff runs on %v, want pull requests to %s only", diff.On, cfg.Pipeline.Branch)
			}
			if c := release.Concurrency; c == nil || c.Group != "djangocdk-"+env || c.CancelInProgress {
				t.Errorf("release concurrency %+v, want group djangocdk-%s that never cancels a running release", c, env)
			}
			job, ok := release.Jobs["release"]
			if !ok || len(release.Jobs) != 1 {
				t.Fatalf("release jobs %v, want one: release", slices.Collect(maps.Keys(release.Jobs)))
			}
			if job.Environment != cfg.Pipeline.GitHub.Environment || job.Permissions != nil {
				t.Errorf("release job environment %q, permissions %v; want %q and the workflow's", job.Environment, job.Permissions, cfg.Pipeline.GitHub.Environment)
			}
			if cfg.Compute.CpuArchitecture == "ARM64" && job.RunsOn != "ubuntu-24.04-arm" {
				t.Errorf("release runs on %s, want an ARM runner for an ARM64 image", job.RunsOn)
			}
			diffJob := diff.Jobs["diff"]
			if want := map[string]string{"id-token": "write", "contents": "read", "pull-requests": "write"}; !maps.Equal(diffJob.Permissions, want) {
				t.Errorf("diff job permissions %v, want %v", diffJob.Permissions, want)
			}

			scripts := regexp.MustCompile(`^bash "\$` + stacks.ScriptsVariable + `/(build|release)\.sh"$`)
			setup := map[string]bool{
				"npm ci": true,
				"npx cdk deploy --all -c env=" + env + " --require-approval never --no-notices":             true,
				"npx cdk diff --all -c env=" + env + ` --no-notices 2>&1 | tee "$RUNNER_TEMP/cdk-diff.txt"`: true,
				stacks.GitHubEnvironmentCommand(stacks.GitHubEnvironmentPath(cfg)) + "\n":                   true,
				stacks.LocateScriptsCommand: true,
			}
			var ran, assumed []string
			for name, w := range map[string]workflow{"release": release, "diff": diff} {
				for _, job := range w.Jobs {
					for _, step := range job.Steps {
						switch {
						case step.Uses != "":
							if !pinned.MatchString(step.Uses) {
								t.Errorf("%s: %s is not pinned by a commit", name, step.Uses)
							}
							if arn := step.With["role-to-assume"]; arn != "" {
								assumed = append(assumed, name+" "+arn)
								if step.With["aws-region"] != cfg.Region {
									t.Errorf("%s: region %s, want %s", name, step.With["aws-region"], cfg.Region)
								}
							}
						case scripts.MatchString(step.Run):
							ran = append(ran, scripts.FindStringSubmatch(step.Run)[1])
							if step.Env["IMAGE_TAG"] != "${{ github.sha }}" {
								t.Errorf("%s: %s without IMAGE_TAG set to the commit", name, step.Run)
							}
						case setup[step.Run]:
						case name == "diff" && strings.Contains(step.Run, `gh pr comment "$PR"`):
						default:
							t.Errorf("%s: step %q runs %q: neither a release script nor a setup step", name, step.Name, step.Run)
						}
					}
				}
			}
			if got := strings.Join(ran, " "); got != "build release" {
				t.Errorf("scripts run: %s, want build then release", got)
			}
			slices.Sort(assumed)
			if want := []string{"diff " + roles["diff"], "release " + roles["deploy"], "release " + roles["release"]}; !slices.Equal(assumed, want) {
				t.Errorf("roles assumed %v, want %v", assumed, want)
			}
		})
	}
	// Every script the workflows name is a file of this module, and the
	// pipeline's buildspecs run the same ones (TestPipelineRunsTheTestedScripts).
	for _, name := range []string{"build.sh", "release.sh"} {
		if _, err := os.Stat(filepath.Join(stacks.ScriptsDir, name)); err != nil {
			t.Error(err)
		}
	}
}

// statement is one action of a policy statement on one resource, with its
// conditions: the unit two roles' permissions are compared in.
type statement struct{ action, resource, condition string }

// permissions returns the statements of the policies attached to the role
// whose logical id starts with prefix.
func permissions(t *testing.T, tmpl map[string]any, prefix string) map[statement]bool {
	t.Helper()
	out := map[statement]bool{}
	for _, policy := range resources(tmpl, "AWS::IAM::Policy") {
		p := props(policy)
		attached := false
		for _, role := range asSlice(p["Roles"]) {
			if ref, _ := role.(map[string]any)["Ref"].(string); strings.HasPrefix(ref, prefix) {
				attached = true
			}
		}
		if !attached {
			continue
		}
		for _, s := range asList(p["PolicyDocument"].(map[string]any)["Statement"]) {
			condition, _ := json.Marshal(s["Condition"])
			actions, isList := s["Action"].([]any)
			if !isList {
				actions = []any{s["Action"]}
			}
			res, isList := s["Resource"].([]any)
			if !isList {
				res = []any{s["Resource"]}
			}
			for _, a := range actions {
				for _, r := range res {
					resource, _ := json.Marshal(r)
					out[statement{a.(string), string(resource), string(condition)}] = true
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no policy on a role %s*", prefix)
	}
	return out
}

// trustOf returns the trust conditions of the role with logical id prefix.
func trustOf(t *testing.T, tmpl map[string]any, prefix string) string {
	t.Helper()
	for id, role := range resources(tmpl, "AWS::IAM::Role") {
		if strings.HasPrefix(id, prefix) {
			doc := props(role)["AssumeRolePolicyDocument"].(map[string]any)
			b, _ := json.Marshal(asList(doc["Statement"]))
			return string(b)
		}
	}
	t.Fatalf("no role %s*", prefix)
	return ""
}

// TestGitHubRoles checks the synthesized roles: trust for the exact
// subject and audience; the release role may do exactly what the
// pipeline's Build and Release projects may do for the release (the same
// grants), and read its settings; diff and deploy only assume the CDK
// bootstrap's roles (see constructs/githuboidc).
func TestGitHubRoles(t *testing.T) {
	dev := synth(t, "dev").template(t, stacks.PipelineLayer)
	trustFor := func(sub string) string {
		return `[{"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"` +
			sub + `"}},"Effect":"Allow","Principal":{"Federated":{"Ref":"GitHubProviderE571E8F1"}}}]`
	}
	for prefix, sub := range map[string]string{
		"GitHubRelease": "repo:acme/myapp:ref:refs/heads/develop",
		"GitHubDeploy":  "repo:acme/myapp:ref:refs/heads/develop",
		"GitHubDiff":    "repo:acme/myapp:pull_request",
	} {
		if got, want := trustOf(t, dev, prefix), trustFor(sub); got != want {
			t.Errorf("%s trust:\n%s\nwant:\n%s", prefix, got, want)
		}
	}

	github := permissions(t, dev, "GitHubRelease")
	codebuild := permissions(t, dev, "ReleaseBuild")
	maps.Copy(codebuild, permissions(t, dev, "ReleaseReleaseProject"))
	// What CodeBuild needs for itself: its logs, reports, artifacts and key.
	own := regexp.MustCompile(`ReleaseArtifacts|"Ref":"Key|Fn::GetAtt":\["Key|:log-group:|:report-group/`)
	settings := `"arn:aws:ssm:us-east-1:111111111111:parameter/myapp/dev/github/release-environment"`
	for s := range github {
		if !codebuild[s] && s != (statement{"ssm:GetParametersByPath", settings, "null"}) {
			t.Errorf("the GitHub release role may %v, which neither pipeline project may", s)
		}
	}
	for s := range codebuild {
		if !github[s] && !own.MatchString(s.resource) && !strings.HasPrefix(s.action, "codebuild:") && !strings.HasPrefix(s.action, "logs:") {
			t.Errorf("a pipeline project may %v, the GitHub release role may not", s)
		}
	}

	// Production with the github driver only: the environment's subject,
	// and nothing of CodePipeline, CodeBuild or CodeConnections anywhere.
	variant := githubVariant(t)
	prod := variant.template(t, stacks.PipelineLayer)
	if got, want := trustOf(t, prod, "GitHubRelease"), trustFor("repo:acme/myapp:environment:production"); got != want {
		t.Errorf("production release trust:\n%s\nwant:\n%s", got, want)
	}
	for _, name := range variant.stackNames() {
		raw, err := os.ReadFile(filepath.Join(variant.outdir, name+".template.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, banned := range []string{"AWS::CodePipeline::", "AWS::CodeBuild::", "AWS::CodeStarConnections::", "codeconnections", "codestar-connections", "AWS::CodeStarNotifications::"} {
			if strings.Contains(string(raw), banned) {
				t.Errorf("%s has %s with the github driver only", name, banned)
			}
		}
	}
}

// TestGitHubReleaseSettings runs the release workflow's settings step
// against a fake AWS CLI that answers with the synthesized parameters: the
// scripts then see the variables the pipeline's projects get, with the
// same values.
func TestGitHubReleaseSettings(t *testing.T) {
	s := synth(t, "dev")
	tmpl := s.template(t, stacks.PipelineLayer)
	path := stacks.GitHubEnvironmentPath(s.cfg)
	var params []map[string]string
	stored := map[string]string{}
	for _, p := range resources(tmpl, "AWS::SSM::Parameter") {
		name := props(p)["Name"].(string)
		if !strings.HasPrefix(name, path+"/") {
			continue
		}
		value, _ := json.Marshal(props(p)["Value"]) // the intrinsic, as text: a value of its own
		params = append(params, map[string]string{"Name": name, "Value": string(value) + "\nsecond line"})
		stored[strings.TrimPrefix(name, path+"/")] = string(value) + "\nsecond line"
	}
	answer, _ := json.Marshal(map[string]any{"Parameters": params})
	dir := t.TempDir()
	fake := "#!/bin/sh\n" + `[ "$*" = "ssm get-parameters-by-path --path ` + path + `/ --output json" ] || { echo "unexpected: aws $*" >&2; exit 1; }` + "\ncat " + filepath.Join(dir, "answer.json") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "answer.json"), answer, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "aws"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(dir, "github_env")
	cmd := exec.Command("bash", "-eo", "pipefail", "-c", stacks.GitHubEnvironmentCommand(path))
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "GITHUB_ENV="+envFile)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("settings step: %v\n%s", err, out)
	}
	// Read $GITHUB_ENV as the runner does: NAME<<DELIMITER, lines, DELIMITER.
	raw, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		name, delimiter, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("line %q is not NAME<<DELIMITER", lines[i])
		}
		var value []string
		for i++; i < len(lines) && lines[i] != delimiter; i++ {
			value = append(value, lines[i])
		}
		got[name] = strings.Join(value, "\n")
	}
	if !maps.Equal(got, stored) {
		t.Errorf("$GITHUB_ENV has\n%v\nwant\n%v", got, stored)
	}

	// The values are the pipeline projects' values, variable by variable;
	// only IMAGE_TAG (the workflow sets it) and empty values (SSM stores
	// none; the scripts read unset as empty) are not parameters.
	for _, project := range resources(tmpl, "AWS::CodeBuild::Project") {
		for _, v := range asList(props(project)["Environment"].(map[string]any)["EnvironmentVariables"]) {
			name := v["Name"].(string)
			value, _ := json.Marshal(v["Value"])
			if name == "IMAGE_TAG" || string(value) == `""` {
				continue
			}
			if want := string(value) + "\nsecond line"; got[name] != want {
				t.Errorf("%s: the workflow gets %s, the pipeline %s", name, got[name], want)
			}
		}
	}
}

func TestGitHubBadConfig(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"unknown driver", set("environments.dev.pipeline.driver", "jenkins"),
			`environments.dev.pipeline.driver: "jenkins" is not a release driver; use "codepipeline", "github" or "both"`},
		{"approval without a GitHub environment", set("environments.dev.pipeline.driver", "github", "environments.dev.pipeline.manualApproval", true),
			`pipeline.github.environment (djangocdk's default), for environment dev: empty, but pipeline.manualApproval is true: with the "github" driver the approval is a GitHub environment's required reviewers; name that environment`},
		{"wildcard environment", set("environments.dev.pipeline.github", map[string]any{"environment": "prod*"}),
			`environments.dev.pipeline.github.environment: "prod*" is not a GitHub environment name (letters, digits, _ . -)`},
		{"another provider", set("environments.dev.pipeline.github", map[string]any{"providerArn": "arn:aws:iam::111111111111:oidc-provider/gitlab.com"}),
			`environments.dev.pipeline.github.providerArn: "arn:aws:iam::111111111111:oidc-provider/gitlab.com" is not the ARN of the account's OIDC provider for token.actions.githubusercontent.com (arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com), or empty to create it`},
		{"infra directory outside", set("environments.dev.pipeline.github", map[string]any{"infraDirectory": "../infra"}),
			`environments.dev.pipeline.github.infraDirectory: "../infra" is not a directory inside the monorepo such as infra, or . for its root`},
		{"job beyond GitHub's limit", set("environments.dev.pipeline.taskTimeoutMinutes", 60.0),
			`environments.dev.pipeline.taskTimeoutMinutes: 60 and pipeline.deployTimeoutMinutes 30 make a GitHub release job of 405 minutes (120 for cdk deploy, 60 for the build, 2 tasks, 3 deploy waits and 15); GitHub-hosted runners stop a job at 360`},
		{"no connection needed with github only", set("environments.dev.pipeline.driver", "github", "environments.dev.pipeline.connectionArn", "", "environments.dev.pipeline.branch", "main*"),
			`environments.dev.pipeline.branch: "main*" is not a branch name`},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := cdkContext(t)
			ctx[stacks.EnvKey] = "dev"
			c.edit(ctx)
			_, err := stacks.LoadConfig(ctx)
			if err == nil || err.Error() != c.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, c.want)
			}
		})
	}
}
