#!/usr/bin/env bash
# Runs a one-off Fargate task from the new image (the migrations, the
# collectstatic) and fails unless its container exits 0. The services are
# not touched.
#
# A new revision of FAMILY (as CloudFormation last deployed it) gets the new
# image. Before starting, the script waits for any task of the same
# STARTED_BY still running in the cluster: a release build stopped earlier
# may have left a migration running, and a retry must not run a second one
# next to it. The task gets TIMEOUT_SECONDS to stop; when this script ends
# for any other reason (timeout, error, INT, TERM) before the task stopped,
# it stops the task.
#
# Input (environment): CLUSTER, FAMILY (the task definition's family), IMAGE
# (repository URI:tag), SUBNETS (comma separated), SECURITY_GROUP, CONTAINER
# (default django), STARTED_BY (e.g. release-migrate), TIMEOUT_SECONDS,
# POLL_SECONDS (default 10), AWS_REGION, ASSIGN_PUBLIC_IP (ENABLED for
# public subnets in a network without NAT; default DISABLED).
set -euo pipefail
: "${CLUSTER:?}" "${FAMILY:?}" "${IMAGE:?}" "${SUBNETS:?}" "${SECURITY_GROUP:?}" "${STARTED_BY:?}" "${TIMEOUT_SECONDS:?}" "${AWS_REGION:?}"
CONTAINER=${CONTAINER:-django}
POLL_SECONDS=${POLL_SECONDS:-10}
ASSIGN_PUBLIC_IP=${ASSIGN_PUBLIC_IP:-DISABLED}
case $ASSIGN_PUBLIC_IP in
ENABLED | DISABLED) ;;
*) echo "$STARTED_BY: ASSIGN_PUBLIC_IP=$ASSIGN_PUBLIC_IP is not ENABLED or DISABLED" >&2 && exit 1 ;;
esac

fail() {
	echo "$STARTED_BY: $*" >&2
	exit 1
}

# The task definition as CloudFormation last deployed it, with the new
# image: a new revision of the same family.
current=$(aws ecs describe-task-definition --task-definition "$FAMILY" --query taskDefinition --output json) ||
	fail "could not read the task definition $FAMILY"
revision=$(python3 -c '
import json, sys
image, container = sys.argv[1], sys.argv[2]
d = json.load(sys.stdin)
names = [c["name"] for c in d["containerDefinitions"]]
if container not in names:
    sys.exit("no container %s in the task definition %s (has %s)" % (container, d["family"], names))
for c in d["containerDefinitions"]:
    if c["name"] == container:
        c["image"] = image
keys = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
        "requiresCompatibilities", "cpu", "memory", "runtimePlatform", "ephemeralStorage")
print(json.dumps({k: d[k] for k in keys if k in d}))
' "$IMAGE" "$CONTAINER" <<<"$current") || fail "could not make a revision of $FAMILY with $IMAGE"
arn=$(aws ecs register-task-definition --cli-input-json "$revision" --query taskDefinition.taskDefinitionArn --output text) ||
	fail "could not register a revision of $FAMILY with $IMAGE"
echo "registered $arn with $IMAGE"

# A task of the same kind still running (left by a stopped build) must end
# first.
deadline=$(($(date +%s) + TIMEOUT_SECONDS))
while :; do
	running=$(aws ecs list-tasks --cluster "$CLUSTER" --started-by "$STARTED_BY" --desired-status RUNNING --query taskArns --output text) ||
		fail "could not list the $STARTED_BY tasks of $CLUSTER"
	if [ -z "$running" ] || [ "$running" = None ]; then
		break
	fi
	if (($(date +%s) >= deadline)); then
		fail "a previous $STARTED_BY task is still running after TIMEOUT_SECONDS=${TIMEOUT_SECONDS}s: $running. Not starting another one next to it: let it finish (or stop it), then retry."
	fi
	echo "waiting for a previous $STARTED_BY task to stop: $running"
	sleep "$POLL_SECONDS"
done

started=$(aws ecs run-task --cluster "$CLUSTER" --task-definition "$arn" --launch-type FARGATE --count 1 \
	--started-by "$STARTED_BY" \
	--network-configuration "awsvpcConfiguration={subnets=[$SUBNETS],securityGroups=[$SECURITY_GROUP],assignPublicIp=$ASSIGN_PUBLIC_IP}" \
	--query '[tasks[0].taskArn, failures[0].reason]' --output text) || fail "run-task $arn failed"
IFS=$'\t' read -r task reason <<<"$started"
if [ -z "$task" ] || [ "$task" = None ]; then
	fail "the task $arn did not start: ${reason:-no reason given}"
fi
echo "started $task"
logs="https://console.aws.amazon.com/ecs/v2/clusters/$CLUSTER/tasks/${task##*/}/logs?region=$AWS_REGION"

# From here on, the task is stopped when this script ends before it did.
state=running
stop_task() {
	[ "$state" = running ] || return 0
	state=stopping
	echo "stopping $task: $1" >&2
	if ! aws ecs stop-task --cluster "$CLUSTER" --task "$task" --reason "$1" >/dev/null; then
		echo "could not stop $task: stop it by hand. Logs: $logs" >&2
	fi
}
trap 'stop_task "the release build ended before the task did"' EXIT
trap 'stop_task "the release build was interrupted"; exit 130' INT
trap 'stop_task "the release build was stopped"; exit 143' TERM

deadline=$(($(date +%s) + TIMEOUT_SECONDS))
while :; do
	if out=$(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$task" \
		--query "tasks[0].[lastStatus, containers[?name=='$CONTAINER'] | [0].exitCode, stoppedReason]" --output text); then
		IFS=$'\t' read -r status code why <<<"$out"
		if [ "$status" = STOPPED ]; then
			state=stopped
			break
		fi
	else
		status=unknown
		echo "describe-tasks $task failed; asking again" >&2
	fi
	if (($(date +%s) >= deadline)); then
		stop_task "timed out after ${TIMEOUT_SECONDS}s"
		fail "$task ($FAMILY) still $status after TIMEOUT_SECONDS=${TIMEOUT_SECONDS}s: stopped it. Logs: $logs"
	fi
	sleep "$POLL_SECONDS"
done
if [ "$code" = None ]; then
	fail "$task ($FAMILY) stopped before its container $CONTAINER ran: $why. Logs: $logs"
fi
if [ "$code" != 0 ]; then
	fail "$FAMILY failed: exit code $code ($why); the services were not updated. Logs: $logs"
fi
echo "$FAMILY succeeded. Logs: $logs"
