#!/usr/bin/env bash
# Releases one built image: the migrations (a one-off task), collectstatic
# (a one-off task, when STATIC_FAMILY is set), the services (deploy.sh), the
# frontends (publish.sh), in that order, stopping at the first step that
# fails. One exception: when deploy.sh released the image but could not add
# its release-* tag (status 3), the frontends are still published, since the
# services run the new image, and the release fails at the end.
#
# It is the single action of its pipeline stage, and a stage runs one
# execution at a time: two releases never interleave their migrations and
# their deploys.
#
# The sibling scripts (run-task.sh, deploy.sh, publish.sh) are read from
# this script's directory.
#
# Input (environment): REPOSITORY_URI, IMAGE_TAG (set by the pipeline, or
# by hand with aws codebuild start-build --environment-variables-override),
# CLUSTER, SUBNETS (comma separated), SECURITY_GROUP, MIGRATE_FAMILY,
# STATIC_FAMILY (empty: no collectstatic task), STACK, TAG_PARAMETER,
# SERVICES (space separated), CFN_ROLE_ARN, FRONTENDS (empty: none),
# PUBLISH_FRONTENDS (default true; false for a release by hand, which has
# no Build artifact to publish from),
# TASK_TIMEOUT_SECONDS, DEPLOY_TIMEOUT_SECONDS, POLL_SECONDS (default 10),
# AWS_REGION.
set -euo pipefail

fail() {
	echo "release: $*" >&2
	exit 1
}

case ${IMAGE_TAG:-} in
'' | none | latest)
	fail "IMAGE_TAG is '${IMAGE_TAG:-}': give the commit to release (a tag the Build stage pushed), e.g. aws codebuild start-build --project-name <release project> --environment-variables-override name=IMAGE_TAG,value=<commit>,type=PLAINTEXT"
	;;
esac
: "${REPOSITORY_URI:?}" "${CLUSTER:?}" "${SUBNETS:?}" "${SECURITY_GROUP:?}" "${MIGRATE_FAMILY:?}" "${STACK:?}" "${TAG_PARAMETER:?}" \
	"${SERVICES:?}" "${CFN_ROLE_ARN:?}" "${TASK_TIMEOUT_SECONDS:?}" "${DEPLOY_TIMEOUT_SECONDS:?}" "${AWS_REGION:?}"
export POLL_SECONDS=${POLL_SECONDS:-10}
export IMAGE="$REPOSITORY_URI:$IMAGE_TAG"
here=$(cd "$(dirname "$0")" && pwd)

# Nothing is touched unless the image is there.
aws ecr describe-images --repository-name "${REPOSITORY_URI#*/}" --image-ids "imageTag=$IMAGE_TAG" >/dev/null ||
	fail "$IMAGE is not in the repository: was $IMAGE_TAG built (by the pipeline's Build stage)? Nothing was changed."
echo "releasing $IMAGE"

# A step runs in the background so that a TERM or INT sent to this script
# (a stopped build) reaches it: run-task.sh then stops its task.
step=
forward() {
	if [ -n "$step" ]; then
		kill -TERM "$step" 2>/dev/null || true
		wait "$step" || true
	fi
	exit "$1"
}
trap 'forward 143' TERM
trap 'forward 130' INT
done=()
untagged=false
run() {
	local name=$1 code=0
	shift
	echo "== $name"
	"$@" &
	step=$!
	wait "$step" || code=$?
	step=
	if [ "$name" = deploy ] && [ "$code" = 3 ]; then
		untagged=true # deploy.sh: the services run the image, which is not tagged release-*
	elif [ "$code" != 0 ]; then
		fail "step $name failed; ${done[*]:-no step} completed before it. Steps after it did not run."
	fi
	done+=("$name")
}

run migrate env FAMILY="$MIGRATE_FAMILY" STARTED_BY=release-migrate TIMEOUT_SECONDS="$TASK_TIMEOUT_SECONDS" bash "$here/run-task.sh"
if [ -n "${STATIC_FAMILY:-}" ]; then
	run collectstatic env FAMILY="$STATIC_FAMILY" STARTED_BY=release-static TIMEOUT_SECONDS="$TASK_TIMEOUT_SECONDS" bash "$here/run-task.sh"
else
	echo "== collectstatic: skipped (no STATIC_FAMILY)"
fi
run deploy bash "$here/deploy.sh"
if [ "${PUBLISH_FRONTENDS:-true}" = true ]; then
	run publish bash "$here/publish.sh"
else
	echo "== publish: skipped (PUBLISH_FRONTENDS=$PUBLISH_FRONTENDS; the frontends are published by the pipeline)"
fi
if $untagged; then
	fail "released $IMAGE (${done[*]} completed), but adding its release-* tag failed: see the deploy step's output, and add the tag by hand before the lifecycle policy expires the image the services run."
fi
echo "released $IMAGE"
