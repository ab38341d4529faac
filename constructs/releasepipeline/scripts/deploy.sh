#!/usr/bin/env bash
# Releases the new image to the web service, every worker and the beat.
#
# The image tag parameter is the single owner of the tag the services run:
# this script writes it, then updates the Compute stack with its current
# template, so CloudFormation resolves the parameter anew and rolls the
# services out. Then it waits until every service really runs the new image
# at its desired count: CloudFormation can report success after ECS rolled a
# deployment back (containers-roadmap#1205), and on the first release
# (DesiredCount becomes AWS::NoValue, so ECS keeps 0) only Application Auto
# Scaling's new minimum starts the tasks, after CloudFormation finished.
#
# Once every service runs the new image (and only then), the image gets a
# second tag, release-<UTC yyyymmddHHMMSS>: the repository's lifecycle
# policy keeps the last images tagged so, and expires builds never
# released. A failure to tag fails the script with status 3 (UNTAGGED): the
# release went out, and the caller may go on with what follows it.
#
# Every wait is bounded by DEPLOY_TIMEOUT_SECONDS. A stack update still
# running at the limit is cancelled. The parameter gets its previous value
# back only once the stack is in a terminal state, so that CloudFormation
# never resolves it in the middle of an update.
#
# Input (environment): STACK (the Compute stack), TAG_PARAMETER, IMAGE_TAG,
# IMAGE (repository URI:tag), CLUSTER, SERVICES (space separated),
# CFN_ROLE_ARN (the role CloudFormation deploys with),
# DEPLOY_TIMEOUT_SECONDS, POLL_SECONDS (default 10).
set -euo pipefail
: "${STACK:?}" "${TAG_PARAMETER:?}" "${IMAGE_TAG:?}" "${IMAGE:?}" "${CLUSTER:?}" "${SERVICES:?}" "${CFN_ROLE_ARN:?}" "${DEPLOY_TIMEOUT_SECONDS:?}"
POLL_SECONDS=${POLL_SECONDS:-10}
UNTAGGED=3

fail() {
	echo "deploy: $*" >&2
	exit 1
}

previous=$(aws ssm get-parameter --name "$TAG_PARAMETER" --query Parameter.Value --output text) ||
	fail "could not read $TAG_PARAMETER"
keys=$(aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].Parameters[].ParameterKey' --output text) ||
	fail "could not read the parameters of $STACK"
parameters=()
for key in $keys; do
	parameters+=("ParameterKey=$key,UsePreviousValue=true")
done

# Only while the stack is in a terminal state.
restore() {
	if aws ssm put-parameter --name "$TAG_PARAMETER" --value "$previous" --overwrite >/dev/null; then
		echo "$TAG_PARAMETER is back to $previous" >&2
	else
		echo "could not put $previous back into $TAG_PARAMETER: do it by hand (aws ssm put-parameter --name $TAG_PARAMETER --value $previous --overwrite)" >&2
	fi
}

aws ssm put-parameter --name "$TAG_PARAMETER" --value "$IMAGE_TAG" --overwrite >/dev/null ||
	fail "could not write $IMAGE_TAG into $TAG_PARAMETER"
echo "$TAG_PARAMETER: $previous -> $IMAGE_TAG"

# wait_stack LIMIT polls the stack until it leaves *_IN_PROGRESS (returns 0)
# or LIMIT seconds passed (returns 1); $status holds the last status seen.
status=unknown
wait_stack() {
	local deadline=$(($(date +%s) + $1)) out
	while :; do
		if out=$(aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].StackStatus' --output text); then
			status=$out
			case $status in
			*_IN_PROGRESS) ;;
			*) return 0 ;;
			esac
		else
			echo "describe-stacks $STACK failed; asking again" >&2
		fi
		(($(date +%s) < deadline)) || return 1
		echo "$STACK: $status"
		sleep "$POLL_SECONDS"
	done
}

if ! out=$(aws cloudformation update-stack --stack-name "$STACK" --use-previous-template \
	--parameters "${parameters[@]}" --role-arn "$CFN_ROLE_ARN" \
	--capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND 2>&1); then
	if [[ $out != *"No updates are to be performed"* ]]; then
		restore # the update did not start: the stack is as it was
		fail "updating $STACK failed: $out"
	fi
	echo "$STACK already resolves $IMAGE_TAG"
else
	if ! wait_stack "$DEPLOY_TIMEOUT_SECONDS"; then
		echo "$STACK still $status after DEPLOY_TIMEOUT_SECONDS=${DEPLOY_TIMEOUT_SECONDS}s: cancelling the update" >&2
		aws cloudformation cancel-update-stack --stack-name "$STACK" ||
			echo "cancel-update-stack $STACK failed" >&2
		if ! wait_stack "$DEPLOY_TIMEOUT_SECONDS"; then
			fail "$STACK is still $status ${DEPLOY_TIMEOUT_SECONDS}s after the cancel: $TAG_PARAMETER was left at $IMAGE_TAG, since the stack may still resolve it.
Check the stack's events in the CloudFormation console. Once it is no longer *_IN_PROGRESS:
  - UPDATE_ROLLBACK_COMPLETE: put the previous tag back: aws ssm put-parameter --name $TAG_PARAMETER --value $previous --overwrite
  - UPDATE_ROLLBACK_FAILED: fix the cause, run aws cloudformation continue-update-rollback --stack-name $STACK, then put the previous tag back as above
  - UPDATE_COMPLETE: the release went out; check the services (aws ecs describe-services --cluster $CLUSTER --services $SERVICES)"
		fi
	fi
	if [ "$status" != UPDATE_COMPLETE ]; then
		restore
		case $status in
		*FAILED) echo "$STACK is $status: it needs attention (continue-update-rollback) before the next release" >&2 ;;
		esac
		fail "$STACK did not update ($status): CloudFormation rolled the update back (a service that did not become healthy, or the cancel after the limit); see the stack's events"
	fi
	echo "$STACK: UPDATE_COMPLETE"
fi

# Every service: one deployment, the primary, COMPLETED, running the new
# image; running == desired >= its minimum (the scalable target's
# MinCapacity, or 1); behind a load balancer, as many healthy targets.
declare -A minimum images
for service in $SERVICES; do
	min=$(aws application-autoscaling describe-scalable-targets --service-namespace ecs --resource-ids "service/$CLUSTER/$service" \
		--query 'ScalableTargets[0].MinCapacity' --output text) || fail "could not read the scalable target of $service"
	[ "$min" != None ] || min=1
	minimum[$service]=$min
done
# image_of DEFINITION sets $image to the django container's image in that
# task definition (cached: a revision never changes).
image_of() {
	if [ -z "${images[$1]:-}" ]; then
		images[$1]=$(aws ecs describe-task-definition --task-definition "$1" \
			--query "taskDefinition.containerDefinitions[?name=='django'] | [0].image" --output text) ||
			fail "could not read the task definition $1"
	fi
	image=${images[$1]}
}
# ready SERVICE: 0 when it runs IMAGE as wanted; 1 while it gets there
# (prints where it is); fails the script when ECS rolled it back.
ready() {
	local out deployments state definition desired running group healthy=- min=${minimum[$1]}
	out=$(aws ecs describe-services --cluster "$CLUSTER" --services "$1" \
		--query "services[0].[length(deployments), deployments[?status=='PRIMARY'] | [0].rolloutState, deployments[?status=='PRIMARY'] | [0].taskDefinition, desiredCount, runningCount, loadBalancers[0].targetGroupArn]" \
		--output text) || {
		echo "$1: describe-services failed; asking again" >&2
		return 1
	}
	IFS=$'\t' read -r deployments state definition desired running group <<<"$out"
	if [ "$definition" = None ]; then
		restore # the stack is in a terminal state
		fail "$1: no primary deployment (is it a service of $CLUSTER?)"
	fi
	image_of "$definition"
	if [ "$state" = FAILED ] || [ "$image" != "$IMAGE" ]; then
		echo "$1: deployment $state running $image, want COMPLETED running $IMAGE (rolled back?)" >&2
		restore # the stack is in a terminal state
		exit 1
	fi
	if [ "$group" != None ]; then
		healthy=$(aws elbv2 describe-target-health --target-group-arn "$group" \
			--query "length(TargetHealthDescriptions[?TargetHealth.State=='healthy'])" --output text) || {
			echo "$1: describe-target-health $group failed; asking again" >&2
			return 1
		}
	fi
	if [ "$deployments" = 1 ] && [ "$state" = COMPLETED ] && [ "$running" = "$desired" ] && ((desired >= min)) &&
		{ [ "$healthy" = - ] || ((healthy >= desired)); }; then
		return 0
	fi
	echo "$1: deployments $deployments (primary $state), desired $desired (minimum $min), running $running, healthy targets $healthy"
	return 1
}
pending=$SERVICES
deadline=$(($(date +%s) + DEPLOY_TIMEOUT_SECONDS))
while :; do
	waiting=()
	for service in $pending; do
		if ready "$service"; then
			echo "$service: runs $IMAGE"
		else
			waiting+=("$service")
		fi
	done
	pending=${waiting[*]:-}
	[ -n "$pending" ] || break
	if (($(date +%s) >= deadline)); then
		restore # the stack is in a terminal state
		fail "not running $IMAGE at the desired count after DEPLOY_TIMEOUT_SECONDS=${DEPLOY_TIMEOUT_SECONDS}s: $pending (see above). The services keep the new task definitions until the next release."
	fi
	sleep "$POLL_SECONDS"
done

# The services run IMAGE: mark it released, so that the lifecycle policy
# keeps it (and the releases before it) instead of counting it with builds
# never released. The tag goes on the same image (the manifest put back
# with its media type and digest, so ECR refuses anything else); it is a new
# tag, which immutable tags allow. Without --accepted-media-types, ECR may
# answer with one platform's manifest instead of the image index.
repository=${IMAGE%:"$IMAGE_TAG"}
repository=${repository#*/}
release_tag=release-$(date -u +%Y%m%d%H%M%S)
media_types=(application/vnd.oci.image.index.v1+json application/vnd.oci.image.manifest.v1+json
	application/vnd.docker.distribution.manifest.list.v2+json application/vnd.docker.distribution.manifest.v2+json)
tag_release() {
	local out digest media_type manifest
	out=$(aws ecr batch-get-image --repository-name "$repository" --image-ids "imageTag=$IMAGE_TAG" \
		--accepted-media-types "${media_types[@]}" \
		--query 'images[0].[imageId.imageDigest, imageManifestMediaType]' --output text) || return 1
	IFS=$'\t' read -r digest media_type <<<"$out"
	if [ "$digest" = None ] || [ -z "$media_type" ]; then
		echo "batch-get-image found no image $IMAGE_TAG in $repository" >&2
		return 1
	fi
	manifest=$(aws ecr batch-get-image --repository-name "$repository" --image-ids "imageTag=$IMAGE_TAG" \
		--accepted-media-types "${media_types[@]}" --query 'images[0].imageManifest' --output text) || return 1
	out=$(aws ecr put-image --repository-name "$repository" --image-tag "$release_tag" --image-digest "$digest" \
		--image-manifest-media-type "$media_type" --image-manifest "$manifest" \
		--query image.imageId.imageDigest --output text) || return 1
	if [ "$out" != "$digest" ]; then
		echo "put-image tagged $out, not $digest" >&2
		return 1
	fi
	echo "$IMAGE ($digest) is now also $release_tag"
}
tagged=true
if ! tag_release; then
	tagged=false
	echo "deploy: THE RELEASE WENT OUT ($SERVICES run $IMAGE), BUT TAGGING IT $release_tag FAILED (see above). Without that tag the repository's lifecycle policy counts it as a build never released and expires it some days after its push, while the services run it. Add the tag by hand: get the manifest, media type and digest with aws ecr batch-get-image --repository-name $repository --image-ids imageTag=$IMAGE_TAG --accepted-media-types ${media_types[*]}, then aws ecr put-image --repository-name $repository --image-tag $release_tag --image-manifest <manifest> --image-manifest-media-type <media type> --image-digest <digest>" >&2
fi

# Something else may have written the parameter meanwhile (CloudFormation's
# SSM provider writes the template's value on any update of that resource):
# the next stack update would then roll the services to that tag.
now=$(aws ssm get-parameter --name "$TAG_PARAMETER" --query Parameter.Value --output text) ||
	fail "could not read $TAG_PARAMETER back"
if [ "$now" != "$IMAGE_TAG" ]; then
	fail "$TAG_PARAMETER holds $now, not $IMAGE_TAG: something else wrote it during the release (CloudFormation updating the parameter resource writes its template value). The services run $IMAGE, but the next update of $STACK would roll them to $now. Find the writer, then: aws ssm put-parameter --name $TAG_PARAMETER --value $IMAGE_TAG --overwrite"
fi
if ! $tagged; then
	echo "deploy: released $IMAGE to: $SERVICES, but it is not tagged $release_tag (see above)" >&2
	exit "$UNTAGGED"
fi
echo "released $IMAGE to: $SERVICES"
