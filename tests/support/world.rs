//! An account in moto the way it looks when something broke, for the investigation's tests: a
//! cluster, a VPC whose private subnet has no way out (only the main route table, no NAT, no
//! endpoints), an ECR repository with the tags that were pushed, revisions of the api task
//! definition, and an SNS topic whose raw SQS subscription hands back the machine JSON.

#![allow(dead_code)]

use aws_config::SdkConfig;
use aws_sdk_ecs::types as ecs;
use ecs_doctor::aws::Clients;
use ecs_doctor::config::Config;
use ecs_doctor::handler::App;
use ecs_doctor::report::Report;
use serde_json::{json, Value};

pub use super::events::{cluster_arn, service_arn, task_arn, CLUSTER};
use super::events::{
    deployment_state_change, now_to_the_millisecond, service_action, task_state_change,
};
use super::overlay::Overlay;
use super::{Moto, ACCOUNT, REGION};

pub const SERVICE: &str = "api";
pub const REPOSITORY: &str = "team/api";
pub const TASK_ID: &str = "7a1c0de5b0f14e2c9d3e8f7a6b5c4d3e";
pub const LOG_GROUP: &str = "/ecs/api";
/// The stop code and reason of a task whose essential container exited.
pub const EXITED: (&str, &str) = (
    "EssentialContainerExited",
    "Essential container in task exited",
);

pub fn registry() -> String {
    format!("{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com")
}

pub fn image(tag: &str) -> String {
    format!("{}/{REPOSITORY}:{tag}", registry())
}

pub struct World {
    pub sdk: SdkConfig,
    pub topic_arn: String,
    /// Raw delivery: each body is a report's machine JSON.
    pub queue_url: String,
    pub vpc: String,
    /// A private subnet: the VPC's main route table, which routes nothing out.
    pub subnet: String,
    pub security_group: String,
}

/// A single-platform manifest (Docker v2 schema 2).
pub fn manifest(seed: char) -> String {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469,
                   "digest": format!("sha256:{}", seed.to_string().repeat(64))},
        "layers": []
    })
    .to_string()
}

/// A manifest list naming its platforms.
pub fn manifest_list(platforms: &[(&str, &str)]) -> String {
    let manifests: Vec<Value> = platforms
        .iter()
        .enumerate()
        .map(|(i, (os, arch))| {
            json!({"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 1000,
                   "digest": format!("sha256:{}", i.to_string().repeat(64)),
                   "platform": {"os": os, "architecture": arch}})
        })
        .collect();
    json!({"schemaVersion": 2,
           "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
           "manifests": manifests})
    .to_string()
}

impl World {
    pub async fn new(moto: &Moto) -> World {
        let sdk = moto.sdk_config().await;
        let ecs = aws_sdk_ecs::Client::new(&sdk);
        let ec2 = aws_sdk_ec2::Client::new(&sdk);
        ecs.create_cluster()
            .cluster_name(CLUSTER)
            .send()
            .await
            .unwrap();
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.1.0.0/16")
            .send()
            .await
            .unwrap()
            .vpc()
            .and_then(|v| v.vpc_id())
            .unwrap()
            .to_string();
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block("10.1.1.0/24")
            .availability_zone(format!("{REGION}a"))
            .send()
            .await
            .unwrap()
            .subnet()
            .and_then(|s| s.subnet_id())
            .unwrap()
            .to_string();
        let security_group = ec2
            .create_security_group()
            .group_name("api")
            .description("api tasks")
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap()
            .group_id()
            .unwrap()
            .to_string();
        let ecr = aws_sdk_ecr::Client::new(&sdk);
        ecr.create_repository()
            .repository_name(REPOSITORY)
            .send()
            .await
            .unwrap();
        let (topic_arn, queue_url) = topic_and_queue(&sdk).await;
        World {
            sdk,
            topic_arn,
            queue_url,
            vpc,
            subnet,
            security_group,
        }
    }

    /// The app as the Lambda builds it, on moto, with `settings` over TOPIC_ARN.
    pub async fn app(&self, moto: &Moto, settings: &[(&str, &str)]) -> App {
        App::with_clients(self.config(settings), moto.clients().await)
    }

    /// The app, its requests going through `overlay` first (canned answers for what moto lacks).
    pub async fn app_behind(
        &self,
        moto: &Moto,
        settings: &[(&str, &str)],
        overlay: &Overlay,
    ) -> App {
        let sdk = overlay.wrap(&moto.sdk_config().await);
        App::with_clients(self.config(settings), Clients::from_conf(&sdk))
    }

    fn config(&self, settings: &[(&str, &str)]) -> Config {
        let topic = self.topic_arn.clone();
        let settings: Vec<(String, String)> = settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| {
            settings
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| (name == "TOPIC_ARN").then(|| topic.clone()))
        })
        .unwrap()
    }

    pub async fn push(&self, tag: &str, manifest: &str, media_type: Option<&str>) {
        aws_sdk_ecr::Client::new(&self.sdk)
            .put_image()
            .repository_name(REPOSITORY)
            .image_tag(tag)
            .image_manifest(manifest)
            .set_image_manifest_media_type(media_type.map(str::to_string))
            .send()
            .await
            .expect("push the image");
    }

    pub async fn register(&self, revision: Revision) -> String {
        let mut container = ecs::ContainerDefinition::builder()
            .name("api")
            .image(revision.image)
            .essential(true)
            .port_mappings(ecs::PortMapping::builder().container_port(8080).build())
            .log_configuration(
                ecs::LogConfiguration::builder()
                    .log_driver(ecs::LogDriver::Awslogs)
                    .options("awslogs-group", LOG_GROUP)
                    .options("awslogs-region", REGION)
                    .options("awslogs-stream-prefix", "api")
                    .build()
                    .unwrap(),
            );
        for name in revision.environment {
            container = container.environment(
                ecs::KeyValuePair::builder()
                    .name(*name)
                    .value(revision.environment_value)
                    .build(),
            );
        }
        if !revision.command.is_empty() {
            container = container.set_command(Some(revision.command.clone()));
        }
        if !revision.entry_point.is_empty() {
            container = container.set_entry_point(Some(revision.entry_point.clone()));
        }
        if !revision.health_check.is_empty() {
            container = container.health_check(
                ecs::HealthCheck::builder()
                    .set_command(Some(revision.health_check.clone()))
                    .interval(30)
                    .build()
                    .unwrap(),
            );
        }
        for (key, value) in &revision.labels {
            container = container.docker_labels(key, value);
        }
        for (name, value_from) in &revision.secrets {
            container = container.secrets(
                ecs::Secret::builder()
                    .name(name)
                    .value_from(value_from)
                    .build()
                    .unwrap(),
            );
        }
        let mut request = aws_sdk_ecs::Client::new(&self.sdk)
            .register_task_definition()
            .family("api")
            .requires_compatibilities(ecs::Compatibility::Fargate)
            .network_mode(ecs::NetworkMode::Awsvpc)
            .cpu(revision.cpu)
            .memory(revision.memory)
            .execution_role_arn(format!("arn:aws:iam::{ACCOUNT}:role/api-execution"))
            .container_definitions(container.build());
        if let Some(role) = revision.task_role {
            request = request.task_role_arn(format!("arn:aws:iam::{ACCOUNT}:role/{role}"));
        }
        if let Some(architecture) = revision.architecture {
            request = request.runtime_platform(
                ecs::RuntimePlatform::builder()
                    .cpu_architecture(ecs::CpuArchitecture::from(architecture))
                    .operating_system_family(ecs::OsFamily::Linux)
                    .build(),
            );
        }
        request
            .send()
            .await
            .expect("register the revision")
            .task_definition()
            .and_then(|td| td.task_definition_arn())
            .unwrap()
            .to_string()
    }

    /// The api service on `task_definition`, in the private subnet, behind `target_group`.
    pub async fn service(
        &self,
        task_definition: &str,
        target_group: Option<&str>,
        launch: ecs::LaunchType,
    ) {
        let mut request = aws_sdk_ecs::Client::new(&self.sdk)
            .create_service()
            .cluster(CLUSTER)
            .service_name(SERVICE)
            .task_definition(task_definition)
            .desired_count(2)
            .launch_type(launch)
            .health_check_grace_period_seconds(0)
            .network_configuration(
                ecs::NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        ecs::AwsVpcConfiguration::builder()
                            .subnets(&self.subnet)
                            .security_groups(&self.security_group)
                            .assign_public_ip(ecs::AssignPublicIp::Disabled)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            );
        if let Some(target_group) = target_group {
            request = request.load_balancers(
                ecs::LoadBalancer::builder()
                    .target_group_arn(target_group)
                    .container_name("api")
                    .container_port(8080)
                    .build(),
            );
        }
        request.send().await.expect("create the service");
    }

    /// Writes `lines` into the stopped task's log stream.
    pub async fn logs(&self, lines: &[&str]) {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&self.sdk);
        let _ = logs
            .create_log_group()
            .log_group_name(LOG_GROUP)
            .send()
            .await;
        super::seed::crash_lines_in_with(&logs, LOG_GROUP, &format!("api/api/{TASK_ID}"), lines)
            .await;
    }

    /// Handles `event` and returns the report it published.
    pub async fn run(&self, app: &App, event: Value) -> Report {
        ecs_doctor::handler::handle_value(app, event, None)
            .await
            .expect("handled");
        self.report().await
    }

    /// The one report published since the last call.
    pub async fn report(&self) -> Report {
        let messages = super::seed::receive(&self.sdk, &self.queue_url).await;
        assert_eq!(messages.len(), 1, "one report");
        let sqs = aws_sdk_sqs::Client::new(&self.sdk);
        sqs.delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(messages[0].receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
        serde_json::from_str(messages[0].body().unwrap()).expect("the machine JSON")
    }
}

/// One revision of the api family.
#[derive(Clone)]
pub struct Revision {
    pub image: &'static str,
    pub cpu: &'static str,
    pub memory: &'static str,
    pub environment: &'static [&'static str],
    /// (name, valueFrom)
    pub secrets: Vec<(String, String)>,
    pub task_role: Option<&'static str>,
    pub architecture: Option<&'static str>,
    /// The value every variable of `environment` is set to.
    pub environment_value: &'static str,
    pub command: Vec<String>,
    pub entry_point: Vec<String>,
    pub health_check: Vec<String>,
    pub labels: Vec<(String, String)>,
}

impl Revision {
    pub fn of(image: &'static str) -> Revision {
        Revision {
            image,
            cpu: "256",
            memory: "512",
            environment: &["LOG_LEVEL"],
            secrets: Vec::new(),
            task_role: None,
            architecture: None,
            environment_value: "set",
            command: Vec::new(),
            entry_point: Vec::new(),
            health_check: Vec::new(),
            labels: Vec::new(),
        }
    }
}

async fn topic_and_queue(sdk: &SdkConfig) -> (String, String) {
    let topic_arn = super::seed::create_topic(&aws_sdk_sns::Client::new(sdk), "ecs-doctor").await;
    let queue_url = super::seed::subscribe_queue(
        sdk,
        &topic_arn,
        "reports",
        vec![("RawMessageDelivery", "true".into())],
    )
    .await;
    (topic_arn, queue_url)
}

/// The api service could not place a task, for `reason` (RESOURCE:ENI, RESOURCE:MEMORY …).
pub fn placement_failure(id: &str, reason: &str) -> Value {
    service_action(
        json!({"eventType": "ERROR", "eventName": "SERVICE_TASK_PLACEMENT_FAILURE",
                          "clusterArn": cluster_arn(), "reason": reason}),
    )
    .id(id)
    .at(now_to_the_millisecond())
    .about(service_arn(SERVICE))
    .build()
}

/// The api service's deployment ecs-svc/4417953822190437888 failed, for `reason`.
pub fn deployment_failed(id: &str, reason: &str) -> Value {
    deployment_state_change(json!({"eventType": "ERROR", "eventName": "SERVICE_DEPLOYMENT_FAILED",
                                   "deploymentId": "ecs-svc/4417953822190437888", "reason": reason}))
    .id(id)
    .at(now_to_the_millisecond())
    .about(service_arn(SERVICE))
    .build()
}

/// A task of the api service that stopped: `containers` are the event's containers, `stop`
/// its stopCode and stoppedReason.
pub fn stopped_task(
    task_definition: &str,
    id: &str,
    stop: (&str, &str),
    container: Value,
    architecture: &str,
    subnet: &str,
) -> Value {
    let now = now_to_the_millisecond();
    let task_arn = task_arn(TASK_ID);
    task_state_change(json!({
            "clusterArn": cluster_arn(),
            "taskArn": task_arn,
            "taskDefinitionArn": task_definition,
            "group": format!("service:{SERVICE}"),
            "launchType": "FARGATE",
            "lastStatus": "STOPPED",
            "desiredStatus": "STOPPED",
            "stopCode": stop.0,
            "stoppedReason": stop.1,
            "cpu": "256",
            "memory": "512",
            "stoppedAt": now,
            "attributes": [{"name": "ecs.cpu-architecture", "value": architecture}],
            "attachments": [{"type": "eni", "status": "DELETED", "details": [
                {"name": "subnetId", "value": subnet},
                {"name": "privateIPv4Address", "value": "10.1.1.25"}]}],
            "containers": [container],
            "version": 4
    }))
    .id(id)
    .at(now)
    .about(task_arn)
    .build()
}

/// The api container as the event shows it.
pub fn container(tag: &str, exit_code: Option<i32>, reason: Option<&str>) -> Value {
    let mut container = json!({
        "name": "api",
        "image": image(tag),
        "lastStatus": "STOPPED",
    });
    if let Some(code) = exit_code {
        container["exitCode"] = code.into();
    }
    if let Some(reason) = reason {
        container["reason"] = reason.into();
    }
    container
}
