#!/usr/bin/env bash
# Builds the Django image for the tasks' architecture, tagged by the commit,
# with the registry as layer cache; a commit already built is not rebuilt
# (tags are immutable). Then checks for missing migrations and builds the
# frontend apps (with the Node the buildspec's install phase selected: this
# script assumes no Node version).
#
# Input (environment): REPOSITORY_URI, IMAGE_TAG, PLATFORM (linux/arm64 or
# linux/amd64), DOCKERFILE, CONTEXT, CHECK_SETTINGS (the settings module for
# the migrations check; empty: no check), FRONTEND_BUILD (the command that
# builds the frontends; empty for none).
set -euo pipefail
: "${REPOSITORY_URI:?}" "${IMAGE_TAG:?}" "${PLATFORM:?}" "${DOCKERFILE:?}" "${CONTEXT:?}"
registry=${REPOSITORY_URI%%/*}
repository=${REPOSITORY_URI#*/}
aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"

if aws ecr describe-images --repository-name "$repository" --image-ids "imageTag=$IMAGE_TAG" >/dev/null 2>&1; then
	echo "$REPOSITORY_URI:$IMAGE_TAG exists: this commit is already built"
else
	docker buildx create --use --name djangocdk >/dev/null 2>&1 || docker buildx use djangocdk
	docker buildx build --platform "$PLATFORM" --file "$DOCKERFILE" \
		--cache-from "type=registry,ref=$REPOSITORY_URI:buildcache" \
		--cache-to "type=registry,ref=$REPOSITORY_URI:buildcache,mode=max,image-manifest=true,oci-mediatypes=true" \
		--tag "$REPOSITORY_URI:$IMAGE_TAG" --push "$CONTEXT"
fi

# The migrations check needs no database and none of the image's entrypoint
# (which reads POSTGRES_* and waits for the database): it runs the image's
# python directly, with only these variables. What it needs from the image:
# a settings module (CHECK_SETTINGS) that imports with only these variables.
check_environment=(
	-e DJANGO_SETTINGS_MODULE="${CHECK_SETTINGS:-}"
	-e DJANGO_SECRET_KEY=makemigrations-check
	-e DATABASE_URL=sqlite:////tmp/makemigrations-check.sqlite3
	-e CELERY_BROKER_URL=memory://
	-e REDIS_URL=redis://localhost:6379/0
)
if [ -n "${CHECK_SETTINGS:-}" ]; then
	# Fails when a model change has no migration.
	if ! docker run --rm --platform "$PLATFORM" --entrypoint python "${check_environment[@]}" \
		"$REPOSITORY_URI:$IMAGE_TAG" manage.py makemigrations --check --dry-run; then
		echo "the migrations check failed: a model change without its migration (run manage.py makemigrations and commit the result), or $CHECK_SETTINGS does not import with only ${check_environment[*]}" >&2
		exit 1
	fi
fi

if [ -n "${FRONTEND_BUILD:-}" ]; then
	bash -c "$FRONTEND_BUILD"
fi
echo "$REPOSITORY_URI:$IMAGE_TAG" > release.txt
