package releasepipeline

import (
	"strings"
	"testing"
)

// build.sh: the image, the migrations check.

var buildEnv = []string{"REPOSITORY_URI=" + repo, "IMAGE_TAG=abc123", "PLATFORM=linux/arm64",
	"DOCKERFILE=compose/production/django/Dockerfile", "CONTEXT=.", "CHECK_SETTINGS=config.settings.test"}

func TestBuildChecksMigrationsWithoutTheEntrypointOrADatabase(t *testing.T) {
	r := run(t, newWorld(), "build.sh", buildEnv...)
	if r.err != nil {
		t.Fatalf("build failed: %v\n%s", r.err, r.out)
	}
	if r.called("buildx build") || !strings.Contains(r.out, "already built") {
		t.Errorf("rebuilt an existing tag: %v", r.calls)
	}
	check := "docker run --rm --platform linux/arm64 --entrypoint python -e DJANGO_SETTINGS_MODULE=config.settings.test -e DJANGO_SECRET_KEY=makemigrations-check" +
		" -e DATABASE_URL=sqlite:////tmp/makemigrations-check.sqlite3 -e CELERY_BROKER_URL=memory:// -e REDIS_URL=redis://localhost:6379/0 " +
		repo + ":abc123 manage.py makemigrations --check --dry-run"
	if r.index(check) < 0 || r.count("docker run") != 1 || r.called("POSTGRES") {
		t.Errorf("want exactly\n%s\nin %v", check, r.calls)
	}

	r = run(t, newWorld(), "build.sh", with(buildEnv, "CHECK_SETTINGS=")...)
	if r.err != nil || r.called("docker run") {
		t.Errorf("checked migrations without CHECK_SETTINGS: err %v, calls %v", r.err, r.calls)
	}
}

func TestBuildBuildsANewCommitAndFailsOnAMissingMigration(t *testing.T) {
	w := newWorld()
	w.Images = nil
	w.Fail = map[string]string{"docker run": "No changes detected... Migrations for 'shop': shop/migrations/0002_order_note.py"}
	r := run(t, w, "build.sh", buildEnv...)
	if !r.called("buildx build --platform linux/arm64 --file compose/production/django/Dockerfile --cache-from type=registry,ref="+repo+":buildcache") ||
		!r.called("--tag "+repo+":abc123 --push .") {
		t.Errorf("build calls %v", r.calls)
	}
	if r.err == nil || !strings.Contains(r.out, "the migrations check failed") {
		t.Errorf("a model change without a migration did not fail the build: %v\n%s", r.err, r.out)
	}
}
