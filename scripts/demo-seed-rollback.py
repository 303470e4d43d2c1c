#!/usr/bin/env python3
"""Seeds moto with what a circuit-breaker rollback leaves behind: revision api:2 (the bad one)
and a task its deployment started that the load balancer failed, stopped by ECS.

Moto's RunTask is easiest to drive from boto3 (installed with moto in .venv). Its Fargate
(awsvpc) path fails, so the task runs on an EC2 container instance registered for the purpose.
Usage: demo-seed-rollback.py ENDPOINT
"""
import json
import sys

import boto3

endpoint, region = sys.argv[1], "us-east-1"
session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
ecs = session.client("ecs", endpoint_url=endpoint)
ec2 = session.client("ec2", endpoint_url=endpoint)

image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="m5.large")["Instances"][0]
document = json.dumps({"instanceId": instance["InstanceId"], "region": region, "accountId": "123456789012"})
ecs.register_container_instance(cluster="prod", instanceIdentityDocument=document)

ecs.register_task_definition(
    family="api", cpu="256", memory="512",
    containerDefinitions=[{"name": "api", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:2.0.0",
                           "essential": True, "memory": 512, "cpu": 256}],
)
task = ecs.run_task(
    cluster="prod", taskDefinition="api:2", launchType="EC2", count=1,
    startedBy="ecs-svc/5555555555555555555", group="service:api",
)["tasks"][0]["taskArn"]
ecs.stop_task(
    cluster="prod", task=task,
    reason=f"Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:{region}:123456789012:targetgroup/api/6d0ecf831eec9f09)",
)
print(f"   seeded the failed deployment's stopped task {task.rsplit('/', 1)[-1]} (api:2, ELB health checks)")
