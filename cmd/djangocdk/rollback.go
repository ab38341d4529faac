package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/djangocdk/djangocdk/stacks"
)

// rollback releases the previous released image, or --to's, by starting
// the release project with it, exactly as the pipeline's ReleaseCommand
// output does, and follows the build to its end.
func (a *app) rollback(ctx context.Context, fs *flag.FlagSet, args []string) error {
	to := fs.String("to", "", "the commit (image tag) to release; default: the release before the current one")
	timeout := fs.Duration("timeout", 0, "stop following the build after this long (default: the release project's own limit)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{2, fmt.Errorf("rollback takes no arguments (got %q); use --to COMMIT", fs.Args())}
	}
	if err := a.connect(ctx); err != nil {
		return err
	}
	p := a.cfg.Pipeline
	if *timeout <= 0 {
		// The Release project's own timeout (see the README).
		*timeout = time.Duration(2*p.TaskTimeoutMinutes+3*p.DeployTimeoutMinutes+15) * time.Minute
	}
	current, err := a.parameter(ctx, stacks.ImageTagParameterName(a.cfg), stacks.RegistryLayer)
	if err != nil {
		return err
	}
	project, _, err := a.releaseProject(ctx)
	if err != nil {
		return err
	}
	repository := stacks.RepositoryName(a.cfg)
	target := *to
	if target == "" {
		if target, err = a.previousRelease(ctx, repository, current); err != nil {
			return err
		}
	} else if err := a.checkImage(ctx, repository, target); err != nil {
		return err
	}
	if target == current {
		return fmt.Errorf("%s is already the released image tag of %s: nothing to roll back", target, a.cfg.Env)
	}
	fmt.Fprintf(a.errw, "rolling %s back from %s to %s with %s (the pipeline's Release step: migrations, collectstatic, deploy, wait for the services, release tag; frontends stay as they are)\n",
		a.cfg.Env, current, target, project)
	started, err := a.aws.CodeBuild.StartBuild(ctx, &codebuild.StartBuildInput{
		ProjectName: aws.String(project),
		EnvironmentVariablesOverride: []cbtypes.EnvironmentVariable{
			{Name: aws.String("IMAGE_TAG"), Value: aws.String(target), Type: cbtypes.EnvironmentVariableTypePlaintext},
			{Name: aws.String("PUBLISH_FRONTENDS"), Value: aws.String("false"), Type: cbtypes.EnvironmentVariableTypePlaintext},
		},
	})
	if err != nil {
		return a.explain(err, "starting the release project "+project)
	}
	build := aws.ToString(started.Build.Id)
	fmt.Fprintf(a.errw, "started build %s\n", build)
	return a.followBuild(ctx, build, target, *timeout)
}

// checkImage fails unless repository holds an image tagged tag.
func (a *app) checkImage(ctx context.Context, repository, tag string) error {
	if tag == stacks.NoImage || tag == "latest" || strings.HasPrefix(tag, stacks.ReleaseTagPrefix) || tag == stacks.BuildCacheTag {
		return &exitError{2, fmt.Errorf("--to %q: give the commit of a released image (its tag in %s)", tag, repository)}
	}
	_, err := a.aws.ECR.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(repository), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}}})
	var noImage *ecrtypes.ImageNotFoundException
	if errors.As(err, &noImage) {
		return fmt.Errorf("no image %s:%s in the repository (never built, or expired by its lifecycle policy, which keeps registry.keepReleases released images); release a commit that is there, or rebuild it by pushing it", repository, tag)
	}
	if err != nil {
		return a.repositoryError(err, repository)
	}
	return nil
}

func (a *app) repositoryError(err error, repository string) error {
	var noRepository *ecrtypes.RepositoryNotFoundException
	if errors.As(err, &noRepository) {
		return fmt.Errorf("ECR repository %s not found in account %s, %s: environment %s is not deployed; deploy it with npx cdk deploy --all -c env=%s",
			repository, a.cfg.Account, a.cfg.Region, a.cfg.Env, a.cfg.Env)
	}
	return a.explain(err, "reading the images of "+repository)
}

// release is one release of an image: the time of its release-* tag, and
// its commit tag.
type release struct{ at, commit string }

// previousRelease returns the commit released before the current one's
// latest release, from the images' release-<UTC> tags.
func (a *app) previousRelease(ctx context.Context, repository, current string) (string, error) {
	var releases []release
	var token *string
	for {
		out, err := a.aws.ECR.DescribeImages(ctx, &ecr.DescribeImagesInput{
			RepositoryName: aws.String(repository), Filter: &ecrtypes.DescribeImagesFilter{TagStatus: ecrtypes.TagStatusTagged}, NextToken: token,
		})
		if err != nil {
			return "", a.repositoryError(err, repository)
		}
		for _, image := range out.ImageDetails {
			tags := append([]string(nil), image.ImageTags...)
			sort.Strings(tags)
			commit := ""
			for _, t := range tags {
				if !strings.HasPrefix(t, stacks.ReleaseTagPrefix) && t != stacks.BuildCacheTag {
					commit = t
					break
				}
			}
			for _, t := range tags {
				if at, ok := strings.CutPrefix(t, stacks.ReleaseTagPrefix); ok && commit != "" {
					releases = append(releases, release{at: at, commit: commit})
				}
			}
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	sort.Slice(releases, func(i, j int) bool { return releases[i].at > releases[j].at }) // newest first
	i := 0
	for i < len(releases) && releases[i].commit != current {
		i++
	}
	if i == len(releases) {
		i = 0 // the current image was never tagged as released: any other release is earlier
	}
	for ; i < len(releases); i++ {
		if releases[i].commit != current {
			return releases[i].commit, nil
		}
	}
	return "", fmt.Errorf("no earlier release than %s in %s (none of its images has another commit with a %s* tag): give the commit with --to", current, repository, stacks.ReleaseTagPrefix)
}

// followBuild prints the build's phases and log until it ends, and fails
// unless it succeeded.
func (a *app) followBuild(ctx context.Context, id, target string, timeout time.Duration) error {
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	phase := ""
	var log *streamReader
	for {
		out, err := a.aws.CodeBuild.BatchGetBuilds(waitCtx, &codebuild.BatchGetBuildsInput{Ids: []string{id}})
		switch {
		case waitCtx.Err() != nil:
			why := fmt.Sprintf("stopped following after %s", timeout)
			if ctx.Err() != nil {
				why = "interrupted"
			}
			return fmt.Errorf("%s; the release build %s goes on in CodeBuild: follow it in the console, or stop it with aws codebuild stop-build --id %s (the release then restores the previous tag)", why, id, id)
		case err != nil:
			fmt.Fprintf(a.errw, "reading the build failed (%v); asking again\n", err)
		case len(out.Builds) == 0:
			return fmt.Errorf("the build %s is gone", id)
		default:
			b := out.Builds[0]
			if log == nil && b.Logs != nil && b.Logs.GroupName != nil && b.Logs.StreamName != nil {
				log = &streamReader{logs: a.aws.Logs, group: aws.ToString(b.Logs.GroupName), stream: aws.ToString(b.Logs.StreamName)}
			}
			if log != nil {
				a.printLog(waitCtx, log, a.errw)
			}
			if p := aws.ToString(b.CurrentPhase); p != phase {
				phase = p
				fmt.Fprintf(a.errw, "build phase %s\n", p)
			}
			if b.BuildComplete {
				if b.BuildStatus == cbtypes.StatusTypeSucceeded {
					fmt.Fprintf(a.out, "rolled %s back to %s (build %s)\n", a.cfg.Env, target, id)
					return nil
				}
				return fmt.Errorf("the release build %s ended %s%s; see its log above%s. The release restores the previous tag when its deploy fails",
					id, b.BuildStatus, failedPhase(b), deepLink(b))
			}
		}
		sleep(waitCtx, a.poll)
	}
}

// failedPhase names the phase that failed and why.
func failedPhase(b cbtypes.Build) string {
	for _, p := range b.Phases {
		if p.PhaseStatus != "" && p.PhaseStatus != cbtypes.StatusTypeSucceeded {
			msg := ""
			for _, c := range p.Contexts {
				if m := aws.ToString(c.Message); m != "" {
					msg = ": " + m
				}
			}
			return fmt.Sprintf(" in phase %s%s", p.PhaseType, msg)
		}
	}
	return ""
}

func deepLink(b cbtypes.Build) string {
	if b.Logs != nil && b.Logs.DeepLink != nil {
		return " or " + *b.Logs.DeepLink
	}
	return ""
}
