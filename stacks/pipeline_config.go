package stacks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/djangocdk/djangocdk/constructs/releasepipeline"
)

// PipelineConfig configures the release pipeline.
type PipelineConfig struct {
	// Driver runs the release: DriverCodePipeline, DriverGitHub or DriverBoth.
	Driver string `json:"driver"`
	// GitHub configures the GitHub Actions driver.
	GitHub GitHubConfig `json:"github"`
	// ConnectionArn of the CodeConnections connection to the repository host.
	ConnectionArn string `json:"connectionArn"`
	// Repository is the monorepo as owner/name.
	Repository string `json:"repository"`
	// Branch releases to this environment.
	Branch string `json:"branch"`
	// Dockerfile of the Django image and its build context, in the monorepo.
	Dockerfile    string `json:"dockerfile"`
	DockerContext string `json:"dockerContext"`
	// CheckMigrationsSettings runs makemigrations --check with this
	// settings module; empty turns the check off.
	CheckMigrationsSettings string `json:"checkMigrationsSettings"`
	// FrontendBuild builds the frontend apps.
	FrontendBuild string `json:"frontendBuild"`
	// NodeVersion is the Node.js major version the frontends build on.
	NodeVersion string `json:"nodeVersion"`
	// TaskTimeoutMinutes bounds each one-off task of a release (migrate,
	// collectstatic).
	TaskTimeoutMinutes int `json:"taskTimeoutMinutes"`
	// DeployTimeoutMinutes bounds the Compute stack update and the wait
	// until every service runs the new image.
	DeployTimeoutMinutes int `json:"deployTimeoutMinutes"`
	// ManualApproval stops each release for a person's approval.
	ManualApproval bool `json:"manualApproval"`
	// NotificationEmails receive failed releases and pending approvals.
	NotificationEmails []string `json:"notificationEmails"`
	// LogRetentionDays of the build logs.
	LogRetentionDays int `json:"logRetentionDays"`
}

var (
	emailPattern     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[a-z]{2,}$`)
	gitBranchPattern = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
)

// inRepository reports whether path is a relative path that stays inside
// the monorepo.
func inRepository(path string) bool {
	return repoPathPattern.MatchString(path) && !slices.Contains(strings.Split(path, "/"), "..")
}

func (p *PipelineConfig) validate(v *validator) {
	p.validateDriver(v)
	if p.Repository == "" {
		v.fail("pipeline.repository", "empty; name the monorepo as owner/name")
	} else {
		v.check("pipeline.repository", releasepipeline.CheckRepository(p.Repository))
	}
	if !gitBranchPattern.MatchString(p.Branch) || strings.Contains(p.Branch, "..") {
		v.fail("pipeline.branch", "%q is not a branch name", p.Branch)
	}
	for _, path := range []struct{ key, value string }{{"pipeline.dockerfile", p.Dockerfile}, {"pipeline.dockerContext", p.DockerContext}} {
		if path.value != "." && !inRepository(path.value) {
			v.fail(path.key, "%q is not a path inside the monorepo", path.value)
		}
	}
	if p.CheckMigrationsSettings != "" && !dottedPattern.MatchString(p.CheckMigrationsSettings) {
		v.fail("pipeline.checkMigrationsSettings", "%q is not a Python module path such as config.settings.test", p.CheckMigrationsSettings)
	}
	v.check("pipeline.nodeVersion", releasepipeline.CheckNodeVersion(p.NodeVersion))
	v.within("pipeline.taskTimeoutMinutes", p.TaskTimeoutMinutes, 1, releasepipeline.MaxTimeoutMinutes, "a one-off task is stopped at this limit")
	v.within("pipeline.deployTimeoutMinutes", p.DeployTimeoutMinutes, releasepipeline.MinDeployTimeoutMinutes, releasepipeline.MaxTimeoutMinutes,
		"a rolling deploy of every service must fit")
	for i, email := range p.NotificationEmails {
		if !emailPattern.MatchString(email) {
			v.fail(fmt.Sprintf("pipeline.notificationEmails[%d]", i), "%q is not an email address", email)
		}
	}
	v.retention("pipeline.logRetentionDays", p.LogRetentionDays)
}
