#!/usr/bin/env bash
# Builds the Django image for the tasks' architecture, tagged by the commit,
# with the registry as layer cache; a commit already built is not rebuilt
# (tags are immutable). Then checks for missing migrations and builds the
# frontend apps.
#
# Input (environment): REPOSITORY_URI, IMAGE_TAG, PLATFORM (linux/arm64 or
# linux/amd64), DOCKERFILE, CONTEXT, CHECK_MIGRATIONS (true/false),
# CHECK_SETTINGS (the settings module for the check), FRONTEND_BUILD (the
# command that builds the frontends; empty for none).
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

if [ "${CHECK_MIGRATIONS:-false}" = true ]; then
	# Fails when a model change has no migration.
	docker run --rm --platform "$PLATFORM" -e DJANGO_SETTINGS_MODULE="${CHECK_SETTINGS:?}" -e DJANGO_SECRET_KEY=makemigrations-check \
		"$REPOSITORY_URI:$IMAGE_TAG" python manage.py makemigrations --check --dry-run
fi

if [ -n "${FRONTEND_BUILD:-}" ]; then
	bash -c "$FRONTEND_BUILD"
fi
echo "$REPOSITORY_URI:$IMAGE_TAG" > release.txt
