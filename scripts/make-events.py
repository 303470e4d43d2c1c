#!/usr/bin/env python3
"""Writes events/*.json: one real-shaped EventBridge ECS event per failure mode, and the
container log tails (events/*.log) for the modes that are read from logs.

The shapes follow the EventBridge ECS events ECS emits (task state change version 3+, deployment
state change, service action). Run it after changing a fixture's facts; the snapshot tests then
show what changed in the renderings: `python3 scripts/make-events.py && cargo insta test`.
"""
import hashlib, json, os

ACCOUNT, REGION, CLUSTER = "111122223333", "eu-west-1", "prod"
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "events")
ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}"


def stable(text, modulus):
    """A number from a name that is the same on every run (unlike hash())."""
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % modulus


def task_event(name, *, service="checkout", family="checkout", revision=42, task_id=None,
               containers, stop_code="EssentialContainerExited",
               stopped_reason="Essential container in task exited", last_status="STOPPED",
               launch_type="FARGATE", group=None, started_by="ecs-svc/4417953822190437888",
               started=True, extra=None):
    task_id = task_id or (name.encode().hex() + "0" * 32)[:32]
    task_arn = f"{ARN}:task/{CLUSTER}/{task_id}"
    detail = {
        "attachments": [{"id": "8f0c6f9e-7d38-4c83-9b53-3f1a1c1b2a11", "type": "eni", "status": "DELETED",
                          "details": [{"name": "subnetId", "value": "subnet-0a1b2c3d4e5f60718"},
                                      {"name": "networkInterfaceId", "value": "eni-0123456789abcdef0"},
                                      {"name": "privateIPv4Address", "value": "10.0.12.34"}]}],
        "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}],
        "availabilityZone": f"{REGION}a",
        "clusterArn": f"{ARN}:cluster/{CLUSTER}",
        "connectivity": "CONNECTED",
        "connectivityAt": "2026-11-20T09:58:02.511Z",
        "containers": [],
        "cpu": "512",
        "createdAt": "2026-11-20T09:57:58.104Z",
        "desiredStatus": "STOPPED",
        "enableExecuteCommand": False,
        "ephemeralStorage": {"sizeInGiB": 20},
        "group": group or (f"service:{service}" if service else f"family:{family}"),
        "launchType": launch_type,
        "lastStatus": last_status,
        "memory": "1024",
        "overrides": {"containerOverrides": [{"name": c["name"]} for c in containers]},
        "platformVersion": "1.4.0",
        "startedBy": started_by if service else "ops-runbook",
        "stopCode": stop_code,
        "stoppedAt": "2026-11-20T10:01:39.921Z",
        "stoppedReason": stopped_reason,
        "stoppingAt": "2026-11-20T10:01:12.330Z",
        "executionStoppedAt": "2026-11-20T10:01:11.804Z",
        "taskArn": task_arn,
        "taskDefinitionArn": f"{ARN}:task-definition/{family}:{revision}",
        "updatedAt": "2026-11-20T10:01:39.921Z",
        "version": 6,
    }
    if started:
        detail.update({"pullStartedAt": "2026-11-20T09:58:05.213Z", "pullStoppedAt": "2026-11-20T09:58:19.870Z",
                       "startedAt": "2026-11-20T09:58:27.062Z"})
    if stop_code is None:
        del detail["stopCode"]
    if stopped_reason is None:
        del detail["stoppedReason"]
    if last_status != "STOPPED":
        detail["desiredStatus"] = "RUNNING"
        for key in ("stoppedAt", "stoppingAt", "executionStoppedAt", "stopCode", "stoppedReason"):
            detail.pop(key, None)
    for c in containers:
        container = {
            "containerArn": f"{ARN}:container/{CLUSTER}/{task_id}/{c['name']}-0b6c",
            "lastStatus": c.get("lastStatus", "STOPPED"),
            "name": c["name"],
            "image": c.get("image", f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{family}:1.8.3"),
            "taskArn": task_arn,
            "networkInterfaces": [{"attachmentId": "8f0c6f9e-7d38-4c83-9b53-3f1a1c1b2a11", "privateIpv4Address": "10.0.12.34"}],
            "cpu": "0",
        }
        if started and "exitCode" in c:
            container["runtimeId"] = f"{task_id}-{stable(c['name'], 10**10)}"
            container["imageDigest"] = "sha256:5f1d0e7bb8c6c5b1bb2b0f7a3f0c8b55e1f63a5f4e0d2b2e8a7c9a1d3e4f5a6b"
        for key in ("exitCode", "reason", "healthStatus", "memory", "memoryReservation"):
            if key in c:
                container[key] = c[key]
        detail["containers"].append(container)
    if extra:
        detail.update(extra)
    return {
        "version": "0", "id": f"{stable(name, 10**8):08d}-4c2e-4b8f-9d0e-{task_id[:12]}",
        "detail-type": "ECS Task State Change", "source": "aws.ecs", "account": ACCOUNT,
        "time": "2026-11-20T10:01:40Z", "region": REGION,
        "resources": [task_arn], "detail": detail,
    }


def deployment_event(name, event_name, reason, event_type="ERROR", service="checkout",
                     deployment_id="ecs-svc/4417953822190437888"):
    return {
        "version": "0", "id": f"{stable(name, 10**8):08d}-9a7b-4d1c-8e2f-5b6c7d8e9f00",
        "detail-type": "ECS Deployment State Change", "source": "aws.ecs", "account": ACCOUNT,
        "time": "2026-11-20T10:14:05Z", "region": REGION,
        "resources": [f"{ARN}:service/{CLUSTER}/{service}"],
        "detail": {"eventType": event_type, "eventName": event_name, "deploymentId": deployment_id,
                   "updatedAt": "2026-11-20T10:14:03.118Z", "reason": reason},
    }


def service_action(name, event_name, event_type, reason=None, service="checkout", extra=None):
    detail = {"eventType": event_type, "eventName": event_name, "clusterArn": f"{ARN}:cluster/{CLUSTER}",
              "createdAt": "2026-11-20T10:20:17.441Z"}
    if reason:
        detail["reason"] = reason
    if extra:
        detail.update(extra)
    return {
        "version": "0", "id": f"{stable(name, 10**8):08d}-1f2e-4d3c-9b8a-7c6d5e4f3a2b",
        "detail-type": "ECS Service Action", "source": "aws.ecs", "account": ACCOUNT,
        "time": "2026-11-20T10:20:18Z", "region": REGION,
        "resources": [f"{ARN}:service/{CLUSTER}/{service}"], "detail": detail,
    }


API = "api"
ENVOY = {"name": "envoy", "exitCode": 137, "image": "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.4.0-prod"}
PULL = dict(stop_code="TaskFailedToStart", started=False)

EVENTS = {
    # not failures
    "task-running": task_event("task-running", last_status="RUNNING", containers=[{"name": API, "lastStatus": "RUNNING"}]),
    "task-completed": task_event("task-completed", service=None, family="nightly-report", revision=7,
                                 containers=[{"name": "report", "exitCode": 0}]),
    "scale-in-or-deployment": task_event("scale-in", stop_code="ServiceSchedulerInitiated",
                                         stopped_reason="Scaling activity initiated by (deployment ecs-svc/4417953822190437888)",
                                         containers=[{"name": API, "exitCode": 143}]),
    "user-stop": task_event("user-stop", stop_code="UserInitiated", stopped_reason="Task stopped by user",
                            containers=[{"name": API, "exitCode": 143}]),
    "sigterm-graceful": task_event("sigterm", containers=[{"name": API, "exitCode": 143}, {"name": "envoy", "exitCode": 137}]),
    "maintenance": task_event("maintenance", stop_code="TerminationNotice",
                              stopped_reason="Task is being stopped due to task retirement.",
                              containers=[{"name": API, "exitCode": 143}]),
    "steady-state": service_action("steady", "SERVICE_STEADY_STATE", "INFO"),
    "deployment-in-progress": deployment_event("dip", "SERVICE_DEPLOYMENT_IN_PROGRESS",
                                               "ECS deployment ecs-svc/4417953822190437888 in progress.", event_type="INFO"),
    "deployment-completed": deployment_event("dc", "SERVICE_DEPLOYMENT_COMPLETED",
                                             "ECS deployment ecs-svc/4417953822190437888 completed.", event_type="INFO"),
    # the container's own process
    "oom": task_event("oom", containers=[{"name": API, "exitCode": 137, "reason": "OutOfMemoryError: Container killed due to memory usage", "memory": "512"}, ENVOY]),
    "oom-at-init": task_event("oom-init", **PULL, stopped_reason="CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: container_linux.go:380: starting container process caused: process_linux.go:722: container init caused: container init was OOM-killed (memory limit too low?): unknown",
                              containers=[{"name": API, "reason": "CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: container init was OOM-killed (memory limit too low?): unknown"}]),
    "oom-java-heap": task_event("oom-java", family="ledger", service="ledger", containers=[{"name": "ledger", "exitCode": 1}]),
    "app-crash": task_event("app-crash", containers=[{"name": API, "exitCode": 1}, ENVOY]),
    "app-crash-exit-2": task_event("app-crash-2", containers=[{"name": API, "exitCode": 2}]),
    "app-crash-exit-255": task_event("app-crash-255", containers=[{"name": API, "exitCode": 255}]),
    "bad-entrypoint-or-command": task_event("entrypoint", **PULL,
        stopped_reason='CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/app/server": stat /app/server: no such file or directory: unknown',
        containers=[{"name": API, "reason": 'CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/app/server": stat /app/server: no such file or directory: unknown'}]),
    "bad-entrypoint-exit-127": task_event("exit127", containers=[{"name": API, "exitCode": 127}]),
    "permission-denied-exec": task_event("perm", **PULL,
        stopped_reason='CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/docker-entrypoint.sh": permission denied: unknown',
        containers=[{"name": API, "reason": 'CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/docker-entrypoint.sh": permission denied: unknown'}]),
    "permission-denied-exit-126": task_event("exit126", containers=[{"name": API, "exitCode": 126}]),
    "wrong-architecture": task_event("arch", containers=[{"name": API, "exitCode": 1}]),
    "segfault": task_event("segv", family="imaging", service="imaging", containers=[{"name": "resizer", "exitCode": 139}]),
    "container-health-check": task_event("chc", stop_code="ServiceSchedulerInitiated", stopped_reason="Task failed container health checks",
                                         containers=[{"name": API, "exitCode": 137, "healthStatus": "UNHEALTHY"}, {"name": "envoy", "exitCode": 143, "healthStatus": "HEALTHY"}]),
    "elb-health-check": task_event("elb", stop_code="ServiceSchedulerInitiated",
                                   stopped_reason=f"Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/checkout-tg/6d0ecf831eec9f09)",
                                   containers=[{"name": API, "exitCode": 143}]),
    "sigkill-without-reason": task_event("sigkill", launch_type="EC2", containers=[{"name": API, "exitCode": 137}]),
    # starting the task
    "image-pull-not-found": task_event("pull-nf", **PULL,
        stopped_reason=f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/checkout:1.9.0: {ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/checkout:1.9.0: not found",
        containers=[{"name": API, "lastStatus": "PENDING", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/checkout:1.9.0",
                     "reason": f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/checkout:1.9.0: {ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/checkout:1.9.0: not found"}]),
    "image-pull-auth": task_event("pull-auth", **PULL,
        stopped_reason=f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/checkout:1.8.3: pulling from host {ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com failed with status code [manifests 1.8.3]: 403 Forbidden",
        containers=[{"name": API, "lastStatus": "PENDING", "reason": f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/checkout:1.8.3: pulling from host {ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com failed with status code [manifests 1.8.3]: 403 Forbidden"}]),
    "image-pull-network": task_event("pull-net", **PULL,
        stopped_reason=f"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post \"https://api.ecr.{REGION}.amazonaws.com/\": dial tcp 52.95.120.8:443: i/o timeout. Please check your task network configuration.",
        containers=[{"name": API, "lastStatus": "PENDING"}]),
    "image-pull-rate-limit": task_event("pull-rate", **PULL,
        stopped_reason="CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac: 429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit",
        containers=[{"name": "web", "lastStatus": "PENDING", "image": "nginx:1.27",
                     "reason": "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac: 429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit."}]),
    "storage-full": task_event("storage", **PULL, launch_type="EC2",
        stopped_reason="CannotPullContainerError: failed to register layer: Error processing tar file(exit status 1): write /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1: no space left on device",
        containers=[{"name": API, "lastStatus": "PENDING", "reason": "CannotPullContainerError: failed to register layer: Error processing tar file(exit status 1): write /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1: no space left on device"}]),
    "secrets-access-denied": task_event("sec-denied", **PULL,
        stopped_reason=f"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/checkout/db-AbCdEf from secrets manager: AccessDeniedException: User: arn:aws:sts::{ACCOUNT}:assumed-role/checkout-execution/8f0c6f9e7d384c83 is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/checkout/db-AbCdEf because no identity-based policy allows the secretsmanager:GetSecretValue action",
        containers=[{"name": API, "lastStatus": "PENDING"}]),
    "secrets-kms": task_event("sec-kms", **PULL,
        stopped_reason=f"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/checkout/db-AbCdEf from secrets manager: AccessDeniedException: Access to KMS is not allowed",
        containers=[{"name": API, "lastStatus": "PENDING"}]),
    "secrets-network": task_event("sec-net", **PULL,
        stopped_reason=f"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): RequestError: send request failed caused by: Post \"https://ssm.{REGION}.amazonaws.com/\": dial tcp 67.220.240.12:443: i/o timeout",
        containers=[{"name": API, "lastStatus": "PENDING"}]),
    "secrets-invalid-reference": task_event("sec-ref", **PULL,
        stopped_reason=f"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/checkout/db from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
        containers=[{"name": API, "lastStatus": "PENDING"}]),
    "log-group-missing": task_event("loggroup", **PULL,
        stopped_reason="ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1",
        containers=[{"name": API, "lastStatus": "PENDING"}]),
    "iam-role-config": task_event("role", **PULL,
        stopped_reason=f"ECS was unable to assume the role 'arn:aws:iam::{ACCOUNT}:role/checkout-task' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.",
        containers=[{"name": API, "lastStatus": "PENDING"}]),
    "efs-volume-mount": task_event("efs", **PULL,
        stopped_reason="ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve \"fs-0a1b2c3d4e5f60718.efs.eu-west-1.amazonaws.com\" - check that your file system ID is correct, and ensure that the VPC has an EFS mount target for this file system ID. : unsuccessful EFS utils command execution; code: 1",
        containers=[{"name": API, "lastStatus": "PENDING"}]),
    "eni-provision-timeout": task_event("eni", **PULL, stopped_reason="Timeout waiting for network interface provisioning to complete.",
                                        containers=[{"name": API, "lastStatus": "PENDING"}]),
    "docker-timeout": task_event("docker", **PULL, launch_type="EC2",
                                 stopped_reason="DockerTimeoutError: Could not transition to created; timed out after waiting 4m0s",
                                 containers=[{"name": API, "lastStatus": "PENDING", "reason": "DockerTimeoutError: Could not transition to created; timed out after waiting 4m0s"}]),
    # the infrastructure
    "spot-interruption": task_event("spot", stop_code="SpotInterruption", stopped_reason="Your Spot Task was interrupted.",
                                    extra={"capacityProviderName": "FARGATE_SPOT"}, containers=[{"name": API, "exitCode": 143}]),
    "host-terminated": task_event("host", launch_type="EC2", stop_code=None, stopped_reason="Host EC2 (instance i-0f3a5b7c9d1e2f345) terminated.",
                                  containers=[{"name": API, "lastStatus": "STOPPED"}]),
    "agent-disconnected": service_action("agent", "SERVICE_TASK_PLACEMENT_FAILURE", "ERROR", reason="AGENT"),
    # found in the application's logs
    "task-role-access-denied": task_event("taskrole", family="exporter", service="exporter", containers=[{"name": "exporter", "exitCode": 1}]),
    "missing-env-or-config": task_event("env", family="worker", service="worker", containers=[{"name": "worker", "exitCode": 1}]),
    "db-connection": task_event("db", containers=[{"name": API, "exitCode": 1}, ENVOY]),
    # the service and its deployments
    "placement-resources": service_action("place-res", "SERVICE_TASK_PLACEMENT_FAILURE", "ERROR", reason="RESOURCE:MEMORY"),
    "placement-resources-fargate": service_action("place-fg", "SERVICE_TASK_PLACEMENT_FAILURE", "ERROR", reason="RESOURCE:FARGATE",
                                                  extra={"capacityProviderArns": [f"{ARN}:capacity-provider/FARGATE"]}),
    "placement-eni-or-ip": service_action("place-eni", "SERVICE_TASK_PLACEMENT_FAILURE", "ERROR", reason="RESOURCE:ENI"),
    "placement-constraint": service_action("place-attr", "SERVICE_TASK_PLACEMENT_FAILURE", "ERROR", reason="ATTRIBUTE"),
    "task-start-impaired": service_action("impaired", "SERVICE_TASK_START_IMPAIRED", "WARN"),
    "circuit-breaker-failure": deployment_event("cbf", "SERVICE_DEPLOYMENT_FAILED", "ECS deployment circuit breaker: tasks failed to start."),
    "circuit-breaker-rollback": deployment_event("cbr", "SERVICE_DEPLOYMENT_IN_PROGRESS",
                                                 "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/0982734459384928374.",
                                                 event_type="INFO", deployment_id="ecs-svc/1234409273364509821"),
    # categories added with the corpus (tests/corpus/): real messages, each in its own event
    "log-driver-failed": task_event("logdriver", **PULL, launch_type="EC2",
        stopped_reason="CannotStartContainerError: Error response from daemon: failed to initialize logging driver: CredentialsEndpointError: failed to load credentials caused by: RequestError: send request failed caused by: Get http://169.254.170.2/v2/credentials/3f0e2b7c-1f5a-4e0e-8d7c-2b6e1f0a9c31: dial tcp 169.254.170.2:80: connect: connection refused",
        containers=[{"name": API, "lastStatus": "PENDING"}]),
    # The stop code is in the ECS API's TaskStopCode; its stoppedReason is not documented, so
    # the fixture carries none.
    "infrastructure-health": task_event("infra-health", stop_code="InfrastructureHealth",
        stopped_reason=None, containers=[{"name": API, "exitCode": 143}]),
    "discovery-health-check": service_action("lattice", "VPC_LATTICE_TARGET_UNHEALTHY", "WARN"),
    "deployment-alarm": deployment_event("alarm", "SERVICE_DEPLOYMENT_FAILED",
        "ECS deployment alarms: The deployment failed because of the CloudWatch alarm checkout-5xx-rate in ALARM state."),
    # No documented EventBridge name carries this service event: the fixture stands for an
    # action ecs-doctor has no rule for, whose reason is the real service event message.
    "deployment-blocked": service_action("blocked", "SERVICE_ACTION_NOT_YET_KNOWN", "WARN",
        reason="(service checkout) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again."),
    "quota-exceeded": service_action("quota", "SERVICE_TASK_PLACEMENT_FAILURE", "ERROR",
        reason="You've reached the limit on the number of vCPUs you can run concurrently"),
    "api-throttled": service_action("throttled", "ECS_OPERATION_THROTTLED", "WARN"),
    # fallback
    "other": task_event("other", stop_code="TaskFailedToStart", started=False,
                        stopped_reason="UnexpectedPlatformError: the platform could not complete the request (code 7731)",
                        containers=[{"name": API, "lastStatus": "PENDING"}]),
}

LOGS = {
    "app-crash": [
        "2026-11-20T10:01:08.120Z INFO  checkout starting on :8080 (version 1.8.3)",
        "2026-11-20T10:01:09.532Z INFO  loaded 412 products into cache",
        "Traceback (most recent call last):",
        '  File "/app/checkout/main.py", line 88, in <module>',
        "    app = create_app(settings)",
        '  File "/app/checkout/app.py", line 41, in create_app',
        "    pricing = PricingTable.load(settings.pricing_path)",
        '  File "/app/checkout/pricing.py", line 17, in load',
        "    return cls(json.loads(raw)[\"tiers\"])",
        "TypeError: list indices must be integers or slices, not str",
    ],
    "missing-env-or-config": [
        "2026-11-20T10:01:08.101Z worker booting, queue=orders",
        "Traceback (most recent call last):",
        '  File "/srv/worker/settings.py", line 12, in <module>',
        '    DATABASE_URL = os.environ["DATABASE_URL"]',
        '  File "/usr/local/lib/python3.12/os.py", line 714, in __getitem__',
        "    raise KeyError(key) from None",
        "KeyError: 'DATABASE_URL'",
    ],
    "db-connection": [
        "2026-11-20T10:01:05.004Z info: checkout-api 1.8.3 starting",
        "2026-11-20T10:01:05.880Z info: connecting to postgres at orders-db.internal:5432",
        "2026-11-20T10:01:15.891Z error: SequelizeConnectionRefusedError: connect ECONNREFUSED 10.0.40.17:5432",
        "    at Client._connectionCallback (/app/node_modules/sequelize/lib/dialects/postgres/connection-manager.js:133:24)",
        "2026-11-20T10:01:15.902Z error: could not connect to the database, exiting",
    ],
    "task-role-access-denied": [
        "time=2026-11-20T10:01:07Z level=info msg=\"exporter starting\" bucket=prod-exports",
        "time=2026-11-20T10:01:08Z level=fatal msg=\"upload failed\" error=\"operation error S3: PutObject, https response error StatusCode: 403, RequestID: 4N9V6Y0G2K7B3M1Q, api error AccessDenied: User: arn:aws:sts::111122223333:assumed-role/exporter-task/0f3a5b7c is not authorized to perform: s3:PutObject on resource: \\\"arn:aws:s3:::prod-exports/daily.csv\\\" because no identity-based policy allows the s3:PutObject action\"",
    ],
    "oom-java-heap": [
        "2026-11-20 10:00:58.120  INFO 1 --- [main] c.e.ledger.LedgerApplication : Started LedgerApplication in 14.2 seconds",
        "2026-11-20 10:01:09.771 ERROR 1 --- [batch-2] c.e.ledger.Reconciler : reconciliation failed",
        "Exception in thread \"batch-2\" java.lang.OutOfMemoryError: Java heap space",
        "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)",
        "\tat com.example.ledger.Reconciler.load(Reconciler.java:88)",
    ],
    "wrong-architecture": [
        "exec /usr/local/bin/docker-entrypoint.sh: exec format error",
    ],
    "elb-health-check": [
        "2026-11-20T09:58:30.004Z info: checkout-api 1.8.3 warming caches (this takes ~45 s)",
        "2026-11-20T10:00:59.118Z info: GET /healthz 503 2ms (warming)",
        "2026-11-20T10:01:10.220Z info: received SIGTERM, draining",
    ],
}

os.makedirs(HERE, exist_ok=True)
for name, event in EVENTS.items():
    with open(os.path.join(HERE, f"{name}.json"), "w") as f:
        json.dump(event, f, indent=2)
        f.write("\n")
for name, lines in LOGS.items():
    with open(os.path.join(HERE, f"{name}.log"), "w") as f:
        f.write("\n".join(lines) + "\n")
print(f"wrote {len(EVENTS)} events and {len(LOGS)} log tails to events/")
