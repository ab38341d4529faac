#!/usr/bin/env bash
# Superseded by run-task.sh, run by release.sh: kept only while
# releasepipeline.go still runs it; delete it with that call.
#
# Runs Django's migrations once, from the new image, as a one-off Fargate
# task, and fails unless they succeed. The services are not touched.
#
# Input (environment): CLUSTER, FAMILY (the migration task definition's
# family), IMAGE (repository URI:tag of the new image), SUBNETS (comma
# separated), SECURITY_GROUP, CONTAINER (default django), POLL_SECONDS
# (default 10), AWS_REGION.
set -euo pipefail
: "${CLUSTER:?}" "${FAMILY:?}" "${IMAGE:?}" "${SUBNETS:?}" "${SECURITY_GROUP:?}" "${AWS_REGION:?}"
CONTAINER=${CONTAINER:-django}

# The migration task definition as CloudFormation last deployed it, with
# the new image: a new revision of the same family.
current=$(aws ecs describe-task-definition --task-definition "$FAMILY" --query taskDefinition --output json)
revision=$(python3 -c '
import json, sys
image, container = sys.argv[1], sys.argv[2]
d = json.load(sys.stdin)
names = [c["name"] for c in d["containerDefinitions"]]
if container not in names:
    sys.exit("no container %s in the migration task definition (has %s)" % (container, names))
for c in d["containerDefinitions"]:
    if c["name"] == container:
        c["image"] = image
keys = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
        "requiresCompatibilities", "cpu", "memory", "runtimePlatform", "ephemeralStorage")
print(json.dumps({k: d[k] for k in keys if k in d}))
' "$IMAGE" "$CONTAINER" <<<"$current")
arn=$(aws ecs register-task-definition --cli-input-json "$revision" --query taskDefinition.taskDefinitionArn --output text)
echo "registered $arn with $IMAGE"

started=$(aws ecs run-task --cluster "$CLUSTER" --task-definition "$arn" --launch-type FARGATE --count 1 \
	--started-by pipeline-migrate \
	--network-configuration "awsvpcConfiguration={subnets=[$SUBNETS],securityGroups=[$SECURITY_GROUP],assignPublicIp=DISABLED}" \
	--query '[tasks[0].taskArn, failures[0].reason]' --output text)
task=$(cut -f1 <<<"$started")
if [ -z "$task" ] || [ "$task" = None ]; then
	echo "the migration task did not start: $(cut -f2 <<<"$started")" >&2
	exit 1
fi
echo "started $task"
task_id=${task##*/}
logs="https://console.aws.amazon.com/ecs/v2/clusters/$CLUSTER/tasks/$task_id/logs?region=$AWS_REGION"

# Wait for the task to stop (for as long as migrations take), then read
# the exit code of the Django container.
while :; do
	read -r status code reason <<<"$(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$task" \
		--query "tasks[0].[lastStatus, containers[?name=='$CONTAINER'] | [0].exitCode, stoppedReason]" --output text)"
	[ "$status" = STOPPED ] && break
	sleep "${POLL_SECONDS:-10}"
done
if [ "$code" != 0 ]; then
	echo "migrations failed: exit code $code ($reason); the services were not updated. Logs: $logs" >&2
	exit 1
fi
echo "migrations succeeded. Logs: $logs"
