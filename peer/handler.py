"""The peer: what a common ECS failure notifier looks like in Python, for `make bench`.

The same minimal gather and publish as ecs-doctor, written the way the usual boto3 notifiers are:
module-level clients (built during init, reused by warm invocations) and one call after the other
- the task definition, the service, the failed container's log tail, the stopped sibling tasks
(ListTasks, then DescribeTasks), and the SNS publish. No cache: every event pays every call.

Run under awslambdaric (`python -m awslambdaric handler.handler`) by benches/lambda/harness.py,
against moto behind the harness's latency proxy. It never talks to real AWS: the harness sets
AWS_ENDPOINT_URL to the proxy on 127.0.0.1 and dummy credentials.
"""

import json
import os

import boto3

ecs = boto3.client("ecs")
logs = boto3.client("logs")
sns = boto3.client("sns")
TOPIC_ARN = os.environ["TOPIC_ARN"]
LOG_LINES = int(os.environ.get("LOG_LINES", "50"))


def handler(event, context):
    detail = event.get("detail") or {}
    if event.get("detail-type") != "ECS Task State Change" or detail.get("lastStatus") != "STOPPED":
        return {"outcome": "skipped", "aws_calls": 0}
    cluster = detail["clusterArn"]
    task_arn = detail["taskArn"]
    task_id = task_arn.rsplit("/", 1)[-1]
    group = detail.get("group", "")
    service = group[len("service:"):] if group.startswith("service:") else None
    calls = 0

    task_definition = ecs.describe_task_definition(taskDefinition=detail["taskDefinitionArn"])[
        "taskDefinition"
    ]
    calls += 1
    services = []
    if service:
        services = ecs.describe_services(cluster=cluster, services=[service])["services"]
        calls += 1

    failed = next(
        (c for c in detail.get("containers", []) if c.get("exitCode") not in (None, 0)),
        (detail.get("containers") or [{}])[0],
    )
    lines = []
    definition = next(
        (c for c in task_definition["containerDefinitions"] if c["name"] == failed.get("name")),
        None,
    )
    options = ((definition or {}).get("logConfiguration") or {}).get("options") or {}
    if "awslogs-group" in options and "awslogs-stream-prefix" in options:
        stream = f"{options['awslogs-stream-prefix']}/{definition['name']}/{task_id}"
        output = logs.get_log_events(
            logGroupName=options["awslogs-group"],
            logStreamName=stream,
            limit=LOG_LINES,
            startFromHead=False,
        )
        calls += 1
        lines = [e["message"] for e in output["events"]]

    siblings = []
    if service:
        arns = ecs.list_tasks(
            cluster=cluster, serviceName=service, desiredStatus="STOPPED", maxResults=100
        )["taskArns"]
        calls += 1
        if arns:
            siblings = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]
            calls += 1

    deployments = (services[0].get("deployments") if services else None) or []
    subject = f"ECS task stopped: {service or task_id} ({failed.get('name')} exit {failed.get('exitCode')})"
    message = "\n".join(
        [
            subject,
            f"Stopped reason: {detail.get('stoppedReason')} ({detail.get('stopCode')})",
            f"Task definition: {task_definition['taskDefinitionArn']}",
            f"Service deployments: {len(deployments)}; stopped tasks in the service: {len(siblings)}",
            "Last log lines:",
            *lines[-10:],
        ]
    )
    published = sns.publish(TopicArn=TOPIC_ARN, Subject=subject[:99], Message=message)
    calls += 1
    result = {"outcome": "published", "message_id": published["MessageId"], "aws_calls": calls}
    print(json.dumps({"summary": True, **result}))
    return result
