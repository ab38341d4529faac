#!/usr/bin/env bash
# Releases the new image to the web service, every worker and the beat.
#
# The image tag parameter is the single owner of the tag the services run:
# this script writes it, then updates the Compute stack with its current
# template, so CloudFormation resolves the parameter anew and rolls the
# services out, waiting until ECS reports every deployment complete. A
# deployment that fails or that the circuit breaker rolls back fails this
# script, and the parameter gets its previous value back.
#
# Input (environment): STACK (the Compute stack), TAG_PARAMETER, IMAGE_TAG,
# IMAGE (repository URI:tag), CLUSTER, SERVICES (space separated),
# CFN_ROLE_ARN (the role CloudFormation deploys with).
set -euo pipefail
: "${STACK:?}" "${TAG_PARAMETER:?}" "${IMAGE_TAG:?}" "${IMAGE:?}" "${CLUSTER:?}" "${SERVICES:?}" "${CFN_ROLE_ARN:?}"

previous=$(aws ssm get-parameter --name "$TAG_PARAMETER" --query Parameter.Value --output text)
restore() {
	aws ssm put-parameter --name "$TAG_PARAMETER" --value "$previous" --overwrite >/dev/null
	echo "$TAG_PARAMETER is back to $previous" >&2
}
aws ssm put-parameter --name "$TAG_PARAMETER" --value "$IMAGE_TAG" --overwrite >/dev/null
echo "$TAG_PARAMETER: $previous -> $IMAGE_TAG"

parameters=()
for key in $(aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].Parameters[].ParameterKey' --output text); do
	parameters+=("ParameterKey=$key,UsePreviousValue=true")
done
if ! out=$(aws cloudformation update-stack --stack-name "$STACK" --use-previous-template \
	--parameters "${parameters[@]}" --role-arn "$CFN_ROLE_ARN" \
	--capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND 2>&1); then
	if [[ $out != *"No updates are to be performed"* ]]; then
		echo "updating $STACK failed: $out" >&2
		restore
		exit 1
	fi
	echo "$STACK already runs $IMAGE_TAG"
elif ! aws cloudformation wait stack-update-complete --stack-name "$STACK"; then
	status=$(aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].StackStatus' --output text)
	echo "$STACK did not update ($status): a service did not become healthy and was rolled back" >&2
	restore
	exit 1
fi

# CloudFormation can report success after ECS rolled a deployment back
# (containers-roadmap#1205): check each service's primary deployment.
for service in $SERVICES; do
	read -r state definition <<<"$(aws ecs describe-services --cluster "$CLUSTER" --services "$service" \
		--query "services[0].deployments[?status=='PRIMARY'] | [0].[rolloutState, taskDefinition]" --output text)"
	image=$(aws ecs describe-task-definition --task-definition "$definition" --query "taskDefinition.containerDefinitions[?name=='django'] | [0].image" --output text)
	if [ "$state" != COMPLETED ] || [ "$image" != "$IMAGE" ]; then
		echo "$service: deployment $state running $image, want COMPLETED running $IMAGE (rolled back?)" >&2
		restore
		exit 1
	fi
	echo "$service: $IMAGE, deployment COMPLETED"
done
