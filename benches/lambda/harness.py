#!/usr/bin/env python3
"""The Lambda harness of `make bench`: ecs-doctor's release bootstrap and the boto3 peer
(peer/handler.py under awslambdaric), measured the way Lambda measures them, in one run.

On loopback only:
  moto (AWS) <- latency proxy (a fixed delay per request, every call logged) <- the function
  the function <-> a Lambda Runtime API (/2018-06-01/runtime/invocation/next, /response, /error,
                   /init/error) that hands out events one at a time and times them.

Per function and per cold start: init (exec -> first GET /next), the first invocation, the warm
invocations, peak RSS (VmHWM before the kill, and wait4's ru_maxrss), and from the proxy's log the
AWS calls of each event with their own duration. Cold starts alternate between the two functions
so that machine noise falls on both. Prints a JSON document (--json FILE) and a summary.

Run by scripts/bench.sh with .venv/bench's Python (boto3 seeds moto; awslambdaric runs the peer).
"""

import argparse
import http.client
import json
import os
import queue
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REGION = "us-east-1"
ACCOUNT = "123456789012"
CLUSTER = "prod"
SERVICE = "api"
TASK_ID = "0f3a5c1e9d2b4a6f8e7d6c5b4a392817"
LOG_GROUP = "/ecs/api"
CRASH_LINES = [
    "INFO:     Started server process [1]",
    "INFO:     Waiting for application startup.",
    "Traceback (most recent call last):",
    '  File "/app/main.py", line 12, in <module>',
    '    DATABASE_URL = os.environ["DATABASE_URL"]',
    '  File "/usr/local/lib/python3.12/os.py", line 714, in __getitem__',
    "    raise KeyError(key) from None",
    "KeyError: 'DATABASE_URL'",
]
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}
now = time.perf_counter


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server(ThreadingHTTPServer):
    """Threads per connection, TCP_NODELAY, and responses written in one send: a header write
    followed by a body write would meet Nagle and delayed ACK (40 ms stalls)."""

    daemon_threads = True

    def get_request(self):
        conn, address = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, address


def respond(handler, status, body, headers):
    head = [f"HTTP/1.1 {status} {http.client.responses.get(status, '')}"]
    head += [f"{k}: {v}" for k, v in headers]
    head.append(f"Content-Length: {len(body)}")
    handler.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    handler.wfile.flush()


def read_body(handler):
    """The request body: Content-Length or chunked."""
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        body = b""
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            chunk = handler.rfile.read(size + 2)
            if size == 0:
                return body
            body += chunk[:size]
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


# ---- moto ---------------------------------------------------------------------------------------


def start_moto(moto_server):
    port = free_port()
    log = open(f"/tmp/ecs-doctor-bench-moto-{port}.log", "wb")
    child = subprocess.Popen(
        [moto_server, "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if child.poll() is not None:
            sys.exit(f"moto_server exited with {child.returncode}: see {log.name}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/moto-api/")
            if conn.getresponse().status == 200:
                return child, f"http://127.0.0.1:{port}", log.name
        except OSError:
            time.sleep(0.1)
    child.kill()
    sys.exit(f"moto_server did not answer within 60 s: see {log.name}")


def seed(endpoint):
    """A failing service as a real account looks after a crash (tests/support/seed.rs), plus
    three stopped tasks of the service, so that ListTasks finds siblings to describe."""
    import boto3

    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    ecs = session.client("ecs", endpoint_url=endpoint)
    logs = session.client("logs", endpoint_url=endpoint)
    sns = session.client("sns", endpoint_url=endpoint)
    ecs.create_cluster(clusterName=CLUSTER)
    td = ecs.register_task_definition(
        family="api",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "api",
                "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2",
                "essential": True,
                "memory": 512,
                "environment": [{"name": "APP_ENV", "value": "production"}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": LOG_GROUP,
                        "awslogs-region": REGION,
                        "awslogs-stream-prefix": "api",
                    },
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=td, desiredCount=1)
    siblings = 0
    try:
        # moto cannot run awsvpc tasks (no ENI), so the siblings come from a bridge-mode revision.
        sibling_td = ecs.register_task_definition(
            family="api",
            networkMode="bridge",
            containerDefinitions=[{"name": "api", "image": "api:1.4.2", "memory": 512, "essential": True}],
        )["taskDefinition"]["taskDefinitionArn"]
        tasks = ecs.run_task(
            cluster=CLUSTER,
            taskDefinition=sibling_td,
            count=3,
            launchType="FARGATE",
            startedBy="ecs-svc/1234567890123456789",
        )["tasks"]
        for task in tasks:
            ecs.stop_task(cluster=CLUSTER, task=task["taskArn"], reason="Essential container in task exited")
        siblings = len(tasks)
    except Exception as error:  # moto versions differ; the figures say how many there were
        print(f"note: no stopped sibling tasks seeded ({error})", file=sys.stderr)
    logs.create_log_group(logGroupName=LOG_GROUP)
    stream = f"api/api/{TASK_ID}"
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
    start = int(time.time() * 1000) - 60_000
    logs.put_log_events(
        logGroupName=LOG_GROUP,
        logStreamName=stream,
        logEvents=[{"timestamp": start + i, "message": line} for i, line in enumerate(CRASH_LINES)],
    )
    topic = sns.create_topic(Name="ecs-doctor")["TopicArn"]
    return td, topic, siblings


def crash_event(td_arn):
    task_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{TASK_ID}"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": ACCOUNT,
        "time": stamp,
        "region": REGION,
        "resources": [task_arn],
        "detail": {
            "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}",
            "taskArn": task_arn,
            "taskDefinitionArn": td_arn,
            "group": f"service:{SERVICE}",
            "startedBy": "ecs-svc/1234567890123456789",
            "launchType": "FARGATE",
            "lastStatus": "STOPPED",
            "desiredStatus": "STOPPED",
            "stopCode": "EssentialContainerExited",
            "stoppedReason": "Essential container in task exited",
            "cpu": "256",
            "memory": "512",
            "createdAt": "2026-11-20T09:58:02.123Z",
            "startedAt": "2026-11-20T09:58:40.456Z",
            "stoppingAt": "2026-11-20T09:58:44.789Z",
            "stoppedAt": stamp,
            "containers": [
                {
                    "name": "api",
                    "containerArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:container/{CLUSTER}/{TASK_ID}/5b8c",
                    "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2",
                    "lastStatus": "STOPPED",
                    "exitCode": 1,
                    "runtimeId": f"{TASK_ID}-1234567890",
                    "cpu": "0",
                    "memory": "512",
                }
            ],
            "version": 5,
        },
    }


# ---- the probes' scenarios ----------------------------------------------------------------------

PULL_NOT_FOUND = (
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
    f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/web:2.4.0: {ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/web:2.4.0: not found"
)
PULL_TIMEOUT = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
    "failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: "
    f'send request failed caused by: Post "https://api.ecr.{REGION}.amazonaws.com/": dial tcp 52.95.120.8:443: i/o timeout'
)


def seed_probes(endpoint):
    """What the probed categories read, in moto: an ECR repository whose newest tag is not the
    one revision web:2 names (web:1 ran the one before), a target group the service sends to, a
    secret, a private subnet without a way out. Returns the scenarios: (name, td_arn, service,
    stop code, stopped reason, container reason, exit code, subnet)."""
    import boto3

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    ecs = session.client("ecs", endpoint_url=endpoint)
    ecr = session.client("ecr", endpoint_url=endpoint)
    ec2 = session.client("ec2", endpoint_url=endpoint)
    elb = session.client("elbv2", endpoint_url=endpoint)
    secrets = session.client("secretsmanager", endpoint_url=endpoint)
    ecr.create_repository(repositoryName="web")
    for tag, seed in (("2.2.0", "c"), ("2.3.0", "d")):
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                               "digest": "sha256:" + seed * 64}, "layers": []}
        ecr.put_image(repositoryName="web", imageManifest=json.dumps(manifest), imageTag=tag)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    target_group = elb.create_target_group(Name="web", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip",
                                           HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"]
    secret = secrets.create_secret(Name="prod/web-key", SecretString="not-a-secret")["ARN"]

    def revision(tag, memory, environment):
        return ecs.register_task_definition(
            family="web", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory=memory,
            executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/web-execution",
            containerDefinitions=[{
                "name": "web", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/web:{tag}", "essential": True,
                "portMappings": [{"containerPort": 8080}],
                "environment": [{"name": name, "value": "set"} for name in environment],
                "secrets": [{"name": "WEB_KEY", "valueFrom": secret}],
            }],
        )["taskDefinition"]["taskDefinitionArn"]

    revision("2.3.0", "1024", ["UPSTREAM_URL", "SESSION_NAME"])
    bad = revision("2.4.0", "512", ["UPSTREAM_URL"])
    ecs.create_service(
        cluster=CLUSTER, serviceName="web", taskDefinition=bad, desiredCount=2, launchType="FARGATE",
        healthCheckGracePeriodSeconds=0,
        loadBalancers=[{"targetGroupArn": target_group, "containerName": "web", "containerPort": 8080}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group],
                                                      "assignPublicIp": "DISABLED"}},
    )
    denied = (f"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
              f"failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch "
              f"secret {secret} from secrets manager: AccessDeniedException: User: arn:aws:sts::{ACCOUNT}:assumed-role/"
              f"web-execution/1 is not authorized to perform: secretsmanager:GetSecretValue on resource: {secret}")
    return [
        ("image-pull-not-found", bad, "TaskFailedToStart", PULL_NOT_FOUND, PULL_NOT_FOUND, None, subnet),
        ("elb-health-check", bad, "ServiceSchedulerInitiated",
         f"Task failed ELB health checks in (target-group {target_group})", None, 143, subnet),
        ("secrets-access-denied", bad, "TaskFailedToStart", denied, None, None, subnet),
        ("image-pull-network", bad, "TaskFailedToStart", PULL_TIMEOUT, None, None, subnet),
    ]


def probed_event(scenario):
    """A stopped task of service web, as the scenario's failure leaves it."""
    _, td_arn, stop_code, stopped_reason, reason, exit_code, subnet = scenario
    task_id = uuid.uuid4().hex
    task_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{task_id}"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    container = {"name": "web", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/web:2.4.0", "lastStatus": "STOPPED"}
    if reason:
        container["reason"] = reason
    if exit_code is not None:
        container["exitCode"] = exit_code
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "ECS Task State Change", "source": "aws.ecs",
        "account": ACCOUNT, "time": stamp, "region": REGION, "resources": [task_arn],
        "detail": {
            "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}", "taskArn": task_arn,
            "taskDefinitionArn": td_arn, "group": "service:web", "launchType": "FARGATE",
            "lastStatus": "STOPPED", "desiredStatus": "STOPPED", "stopCode": stop_code,
            "stoppedReason": stopped_reason, "stoppedAt": stamp,
            "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}],
            "attachments": [{"type": "eni", "status": "DELETED", "details": [
                {"name": "subnetId", "value": subnet}, {"name": "privateIPv4Address", "value": "10.9.1.25"}]}],
            "containers": [container], "version": 3,
        },
    }


def probe_costs(bootstrap, env, scenarios, proxy, warm, timeout):
    """Each probed category with the probes on and off, 40 ms per call: the calls, and what the
    probes add to the first event and to a warm repeat (in round trips of 40 ms)."""
    proxy.delay = 0.040
    out = {}
    for scenario in scenarios:
        figures = {}
        for probes in ("all", "none"):
            events = [probed_event(scenario) for _ in range(1 + warm)]
            run = cold_start(f"probes-{probes}", [bootstrap], {**env, "PROBES": probes}, None, events, proxy, timeout)
            if run["error"]:
                sys.exit(f"{scenario[0]} PROBES={probes}: {run['error']}\n{run.get('output_tail', '')}")
            first, rest = run["invocations"][0], run["invocations"][1:]
            figures[probes] = {
                "first_ms": first["wall_ms"],
                "warm_ms": statistics.median(i["wall_ms"] for i in rest) if rest else None,
                "first_calls": [c["action"] for c in first["calls"]],
                "warm_calls": [c["action"] for c in rest[0]["calls"]] if rest else [],
                "first_cpu_ms": first["cpu_ms"],
                "category": first.get("summary", {}).get("category"),
                "verified": first.get("summary", {}).get("verified"),
            }
        on, off = figures["all"], figures["none"]
        out[scenario[0]] = {
            **figures,
            "added_first_round_trips": (on["first_ms"] - off["first_ms"]) / 40.0,
            "added_warm_round_trips": (on["warm_ms"] - off["warm_ms"]) / 40.0 if on["warm_ms"] else None,
            "added_first_calls": len(on["first_calls"]) - len(off["first_calls"]),
            "added_warm_calls": len(on["warm_calls"]) - len(off["warm_calls"]),
        }
        print(f"probes {scenario[0]} done", file=sys.stderr)
    return out


# ---- the latency proxy --------------------------------------------------------------------------

SCOPE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/aws4_request")


class Proxy:
    """Forwards every request to moto after `delay` seconds; logs (start, end, service, action)."""

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.delay = 0.0
        self.calls = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                started = now()
                body = read_body(self)
                time.sleep(proxy.delay)
                target = self.headers.get("X-Amz-Target") or ""
                action = target.rsplit(".", 1)[-1] if target else ""
                if not action and body:
                    action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
                scope = SCOPE.search(self.headers.get("Authorization") or "")
                service = scope.group(1) if scope else "?"
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length")
                }
                headers["Content-Length"] = str(len(body))
                conn = getattr(proxy.local, "conn", None)
                for attempt in (1, 2):
                    try:
                        if conn is None:
                            conn = http.client.HTTPConnection(
                                proxy.upstream.hostname, proxy.upstream.port, timeout=30
                            )
                            proxy.local.conn = conn
                        conn.request(self.command, self.path, body=body, headers=headers)
                        response = conn.getresponse()
                        payload = response.read()
                        break
                    except (OSError, http.client.HTTPException):
                        conn.close()
                        conn = proxy.local.conn = None
                        if attempt == 2:
                            raise
                # Logged before the answer leaves: the function may report back at once.
                with proxy.lock:
                    proxy.calls.append((started, now(), service, action))
                skip = ("connection", "keep-alive", "transfer-encoding", "content-length", "date", "server")
                respond(self, response.status, payload, [(k, v) for k, v in response.getheaders() if k.lower() not in skip])

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = forward

        self.local = threading.local()
        self.server = Server(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def between(self, start, end):
        with self.lock:
            return [c for c in self.calls if start <= c[0] <= end]


# ---- the Lambda Runtime API ---------------------------------------------------------------------


class RuntimeApi:
    """One function process at a time: hands out queued events, records the answers."""

    def __init__(self):
        self.events = queue.Queue()
        self.answers = queue.Queue()
        self.first_next = None
        self.handed_out = {}
        self.init_error = None
        self.stop = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", headers=()):
                respond(self, status, body, headers)

            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    return self.reply(404)
                if api.first_next is None:
                    api.first_next = now()
                while True:
                    try:
                        request_id, event = api.events.get(timeout=0.05)
                        break
                    except queue.Empty:
                        if api.stop.is_set():
                            self.close_connection = True
                            return
                body = json.dumps(event).encode()
                deadline = int(time.time() * 1000) + 30_000
                api.handed_out[request_id] = now()
                self.reply(
                    200,
                    body,
                    [
                        ("Content-Type", "application/json"),
                        ("Lambda-Runtime-Aws-Request-Id", request_id),
                        ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                        ("Lambda-Runtime-Invoked-Function-Arn", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bench"),
                        ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"),
                    ],
                )

            def do_POST(self):
                at = now()
                body = read_body(self)
                parts = self.path.strip("/").split("/")
                if self.path.endswith("/runtime/init/error"):
                    api.init_error = body.decode("utf-8", "replace")
                    api.answers.put(("init-error", None, at, body))
                elif len(parts) == 5 and parts[2] == "invocation" and parts[4] in ("response", "error"):
                    api.answers.put((parts[4], parts[3], at, body))
                else:
                    return self.reply(404)
                self.reply(202, b'{"status":"OK"}', [("Content-Type", "application/json")])

        self.server = Server(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_ns(pid):
    """CPU time of every thread of `pid` so far (user and system), in nanoseconds: the first field
    of /proc/PID/task/TID/schedstat. Threads are summed as they are now; none of the two
    functions' threads come and go between events."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def cold_start(name, argv, env, cwd, events, proxy, timeout):
    """One execution environment: start the process, serve `events` one at a time, kill it."""
    api = RuntimeApi()
    log_path = f"/tmp/ecs-doctor-bench-{name}-{os.getpid()}.log"
    log = open(log_path, "wb")
    full_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        **env,
    }
    started = now()
    child = subprocess.Popen(argv, env=full_env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    result = {"invocations": [], "error": None}
    try:
        for i, event in enumerate(events):
            request_id = f"{name}-{i:04d}"
            if i == 0:
                # Init's CPU: everything until the function asks for its first event.
                while api.first_next is None and child.poll() is None and now() - started < timeout:
                    time.sleep(0.001)
                time.sleep(0.005)
                result["init_cpu_ms"] = (cpu_ns(child.pid) or 0) / 1e6
            cpu_before = cpu_ns(child.pid)
            api.events.put((request_id, event))
            try:
                kind, answered_id, at, body = api.answers.get(timeout=timeout)
            except queue.Empty:
                result["error"] = f"no answer to event {i} within {timeout} s"
                break
            if kind == "init-error":
                result["error"] = f"init error: {body.decode('utf-8', 'replace')}"
                break
            handed = api.handed_out[answered_id]
            # The function answers last (its summary and metric lines are written before).
            time.sleep(0.002)
            cpu_after = cpu_ns(child.pid)
            answer = json.loads(body or b"null")
            calls = proxy.between(handed, at)
            result["invocations"].append(
                {
                    "ok": kind == "response",
                    "answer": answer,
                    "wall_ms": (at - handed) * 1000,
                    "cpu_ms": (cpu_after - cpu_before) / 1e6 if cpu_before is not None and cpu_after is not None else None,
                    "calls": [
                        {"service": c[2], "action": c[3], "ms": (c[1] - c[0]) * 1000, "start_ms": (c[0] - handed) * 1000}
                        for c in calls
                    ],
                }
            )
            if kind != "response":
                result["error"] = f"event {i} failed: {answer}"
                break
            time.sleep(0.02)  # a gap between events, as between two alerts
        result["init_ms"] = (api.first_next - started) * 1000 if api.first_next else None
        result["vmhwm_kb"] = status_kb(child.pid, "VmHWM")
    finally:
        child.send_signal(signal.SIGKILL)
        _, _, usage = os.wait4(child.pid, 0)
        child.returncode = -9
        result["maxrss_kb"] = usage.ru_maxrss
        api.close()
        log.close()
    with open(log_path, encoding="utf-8", errors="replace") as f:
        output = f.read()
    os.remove(log_path)
    summaries = []
    for line in output.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("summary") is True:
            summaries.append(record)
    for invocation, record in zip(result["invocations"], summaries):
        invocation["summary"] = record
    if result["error"]:
        result["output_tail"] = output[-4000:]
    return result


# ---- the figures --------------------------------------------------------------------------------


def critical_path(calls):
    """The critical path of a crash event's calls, from their measured durations: the task
    definition then the log tail, the service, and ListTasks then DescribeTasks need nothing of
    each other; the publish needs them all."""
    ms = {}
    for c in calls:
        ms[c["action"]] = ms.get(c["action"], 0) + c["ms"]
    branches = [
        ms.get("DescribeTaskDefinition", 0) + ms.get("GetLogEvents", 0),
        ms.get("DescribeServices", 0),
        ms.get("ListTasks", 0) + ms.get("DescribeTasks", 0),
        # ecs-doctor's routing tags, read alongside the rest (cached an hour).
        ms.get("ListTagsForResource", 0),
    ]
    return max(branches) + ms.get("Publish", 0)


def percentile(values, p):
    values = sorted(values)
    if not values:
        return None
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summarize(runs):
    first = [r["invocations"][0] for r in runs]
    warm = [inv for r in runs for inv in r["invocations"][1:]]
    out = {
        "cold_starts": len(runs),
        "warm_events": len(warm),
        "init_ms_all": [r["init_ms"] for r in runs],
        "init_ms_median": statistics.median(r["init_ms"] for r in runs),
        "init_ms_min": min(r["init_ms"] for r in runs),
        "init_ms_max": max(r["init_ms"] for r in runs),
        "init_cpu_ms_median": statistics.median(r.get("init_cpu_ms") or 0 for r in runs),
        "first_cpu_ms_median": statistics.median(i["cpu_ms"] or 0 for i in first),
        "warm_cpu_ms_median": statistics.median(i["cpu_ms"] or 0 for i in warm) if warm else None,
        "first_ms_median": statistics.median(i["wall_ms"] for i in first),
        "warm_ms_median": statistics.median(i["wall_ms"] for i in warm),
        "warm_ms_p90": percentile([i["wall_ms"] for i in warm], 0.9),
        "peak_rss_kb": max(r["vmhwm_kb"] or 0 for r in runs),
        # wait4's figure is no use here: a child forked from this (large) Python process starts
        # with its RSS, so ru_maxrss reports the harness's size. VmHWM is the function's own.
        "maxrss_kb": max(r["maxrss_kb"] for r in runs),
        "calls_first": statistics.median(len(i["calls"]) for i in first),
        "calls_warm": statistics.median(len(i["calls"]) for i in warm),
        "actions_first": [c["action"] for c in first[0]["calls"]],
        "actions_warm": [c["action"] for c in warm[0]["calls"]] if warm else [],
    }
    phases = ("parse_ms", "gather_ms", "diagnose_ms", "render_ms", "publish_ms", "total_ms")
    for label, invocations in (("first", first), ("warm", warm)):
        logged = [i["summary"] for i in invocations if "summary" in i]
        if logged:
            out[f"{label}_phases_median"] = {
                p: statistics.median(float(s.get(p) or 0) for s in logged) for p in phases
            }
    by_action = {}
    for invocation in warm:
        for call in invocation["calls"]:
            by_action.setdefault(call["action"], []).append(call["ms"])
    out["warm_call_ms_median"] = {a: statistics.median(v) for a, v in by_action.items()}
    out["first_cp_ms_median"] = statistics.median(critical_path(i["calls"]) for i in first)
    out["warm_cp_ms_median"] = statistics.median(critical_path(i["calls"]) for i in warm)
    out["warm_sum_ms_median"] = statistics.median(sum(c["ms"] for c in i["calls"]) for i in warm)
    out["first_over_cp_median"] = statistics.median(i["wall_ms"] / critical_path(i["calls"]) for i in first)
    out["warm_over_cp_median"] = statistics.median(i["wall_ms"] / critical_path(i["calls"]) for i in warm)
    out["warm_over_cp_p90"] = percentile([i["wall_ms"] / critical_path(i["calls"]) for i in warm], 0.9)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bootstrap", required=True, help="ecs-doctor's release bootstrap")
    parser.add_argument("--moto-server", required=True)
    parser.add_argument("--peer-dir", required=True)
    parser.add_argument("--cold-starts", type=int, default=5)
    parser.add_argument("--warm", type=int, default=20, help="warm events per cold start")
    parser.add_argument("--delays-ms", default="0,40", help="the injected latencies, one pass each")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per event")
    parser.add_argument("--json", help="write every figure here")
    parser.add_argument("--probe-warm", type=int, default=5, help="warm events per probed category (0: skip them)")
    args = parser.parse_args()

    moto, moto_endpoint, moto_log = start_moto(args.moto_server)
    try:
        td_arn, topic_arn, siblings = seed(moto_endpoint)
        scenarios = seed_probes(moto_endpoint)
        proxy = Proxy(moto_endpoint)
        env = {**AWS_ENV, "AWS_ENDPOINT_URL": proxy.endpoint, "TOPIC_ARN": topic_arn}
        functions = {
            "ecs-doctor": (
                [os.path.abspath(args.bootstrap)],
                # As template.yaml deploys it (ACCOUNT_ID: no STS call to learn the home account),
                # flood control in memory and off (DEDUPE_WINDOW_MINUTES=0): every repeat publishes.
                # No SSL_CERT_FILE, as template.yaml: it trusts Amazon Trust Services' roots.
                {**env, "ACCOUNT_ID": ACCOUNT, "DEDUPE_WINDOW_MINUTES": "0", "RUST_LOG": "info"},
                None,
            ),
            "peer": (
                [sys.executable, "-m", "awslambdaric", "handler.handler"],
                {**env, "PYTHONDONTWRITEBYTECODE": "1", "LAMBDA_TASK_ROOT": os.path.abspath(args.peer_dir)},
                os.path.abspath(args.peer_dir),
            ),
        }
        report = {"siblings_seeded": siblings, "passes": {}}
        for delay in [float(d) for d in args.delays_ms.split(",")]:
            proxy.delay = delay / 1000
            runs = {name: [] for name in functions}
            for k in range(args.cold_starts):
                for name, (argv, fenv, cwd) in functions.items():
                    events = [crash_event(td_arn) for _ in range(1 + args.warm)]
                    run = cold_start(name, argv, fenv, cwd, events, proxy, args.timeout)
                    if run["error"]:
                        print(f"{name} (delay {delay} ms, cold start {k}): {run['error']}", file=sys.stderr)
                        print(run.get("output_tail", ""), file=sys.stderr)
                        sys.exit(1)
                    runs[name].append(run)
            answers = {name: runs[name][0]["invocations"][0]["answer"] for name in runs}
            report["passes"][f"{delay:g}"] = {
                "delay_ms": delay,
                "functions": {name: summarize(r) for name, r in runs.items()},
                "first_answers": answers,
            }
            print(f"pass delay={delay:g} ms done", file=sys.stderr)
        if args.probe_warm > 0:
            argv, fenv, _ = functions["ecs-doctor"]
            report["probes"] = probe_costs(argv[0], fenv, scenarios, proxy, args.probe_warm, args.timeout)
    finally:
        moto.kill()
        moto.wait()
        if os.path.exists(moto_log):
            os.remove(moto_log)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    for key, p in report["passes"].items():
        e, q = p["functions"]["ecs-doctor"], p["functions"]["peer"]
        print(f"\n== injected latency {key} ms per AWS call ==")
        rows = [
            ("init ms (median)", "init_ms_median"),
            ("init CPU ms", "init_cpu_ms_median"),
            ("first event CPU ms", "first_cpu_ms_median"),
            ("warm event CPU ms", "warm_cpu_ms_median"),
            ("first invocation ms", "first_ms_median"),
            ("warm ms median", "warm_ms_median"),
            ("warm ms p90", "warm_ms_p90"),
            ("peak RSS KiB (VmHWM)", "peak_rss_kb"),
            ("first critical path ms", "first_cp_ms_median"),
            ("AWS calls, first event", "calls_first"),
            ("AWS calls, warm repeat", "calls_warm"),
            ("warm critical path ms", "warm_cp_ms_median"),
            ("warm e2e / critical path", "warm_over_cp_median"),
        ]
        print(f"{'figure':28} {'ecs-doctor':>12} {'peer':>12} {'peer/ecs':>9}")
        for label, field in rows:
            a, b = e[field], q[field]
            ratio = f"{b / a:.1f}x" if a else "-"
            print(f"{label:28} {a:12.2f} {b:12.2f} {ratio:>9}")


if __name__ == "__main__":
    main()
