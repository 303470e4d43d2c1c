//! SDK types into ours. Secret values never cross: environment variables by name, secrets by
//! name and `valueFrom`, log options only for the awslogs driver.

use aws_sdk_ecs::types as sdk;
use chrono::{DateTime, Utc};

use crate::event::{Attachment, Container, NameValue, Task};
use crate::incident::{
    ContainerDefinition, Deployment, DeploymentConfiguration, HealthCheck, LoadBalancer,
    LogConfiguration, NetworkConfiguration, SecretRef, Service, ServiceEvent, TaskDefinition,
};

/// How many of the service's events the incident keeps (newest first).
pub const SERVICE_EVENTS_KEPT: usize = 10;

pub fn time(at: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    let at = at?;
    DateTime::from_timestamp(at.secs(), at.subsec_nanos())
}

fn owned(text: Option<&str>) -> Option<String> {
    text.map(str::to_string)
}

/// An image reference never keeps its user-info past this point.
fn image(reference: Option<&str>) -> Option<String> {
    reference.map(|r| crate::redact::structure::image(r).into_owned())
}

/// A DescribeTasks task in the shape of a task state change event (the same field names).
pub fn task(task: &sdk::Task) -> Task {
    Task {
        task_arn: owned(task.task_arn()),
        cluster_arn: owned(task.cluster_arn()),
        task_definition_arn: owned(task.task_definition_arn()),
        container_instance_arn: owned(task.container_instance_arn()),
        last_status: owned(task.last_status()),
        desired_status: owned(task.desired_status()),
        stop_code: task.stop_code().map(|code| code.as_str().to_string()),
        stopped_reason: owned(task.stopped_reason()),
        group: owned(task.group()),
        started_by: owned(task.started_by()),
        launch_type: task.launch_type().map(|launch| launch.as_str().to_string()),
        capacity_provider_name: owned(task.capacity_provider_name()),
        platform_version: owned(task.platform_version()),
        availability_zone: owned(task.availability_zone()),
        cpu: owned(task.cpu()),
        memory: owned(task.memory()),
        health_status: task
            .health_status()
            .map(|health| health.as_str().to_string()),
        created_at: time(task.created_at()),
        pull_started_at: time(task.pull_started_at()),
        pull_stopped_at: time(task.pull_stopped_at()),
        started_at: time(task.started_at()),
        stopping_at: time(task.stopping_at()),
        execution_stopped_at: time(task.execution_stopped_at()),
        stopped_at: time(task.stopped_at()),
        containers: task.containers().iter().map(container).collect(),
        attributes: task
            .attributes()
            .iter()
            .map(|attribute| NameValue {
                name: attribute.name().to_string(),
                value: owned(attribute.value()),
            })
            .collect(),
        attachments: task
            .attachments()
            .iter()
            .map(|attachment| Attachment {
                kind: owned(attachment.r#type()),
                status: owned(attachment.status()),
                details: attachment
                    .details()
                    .iter()
                    .filter_map(|detail| {
                        Some(NameValue {
                            name: detail.name()?.to_string(),
                            value: owned(detail.value()),
                        })
                    })
                    .collect(),
            })
            .collect(),
        // Overrides may carry environment values; nothing downstream reads them.
        version: Some(task.version()),
    }
}

fn container(container: &sdk::Container) -> Container {
    Container {
        name: container.name().unwrap_or_default().to_string(),
        container_arn: owned(container.container_arn()),
        image: image(container.image()),
        image_digest: owned(container.image_digest()),
        last_status: owned(container.last_status()),
        exit_code: container.exit_code(),
        reason: owned(container.reason()),
        health_status: container
            .health_status()
            .map(|health| health.as_str().to_string()),
        cpu: owned(container.cpu()),
        memory: owned(container.memory()),
        memory_reservation: owned(container.memory_reservation()),
        runtime_id: owned(container.runtime_id()),
    }
}

pub fn task_definition(td: &sdk::TaskDefinition) -> TaskDefinition {
    TaskDefinition {
        arn: owned(td.task_definition_arn()),
        family: td.family().unwrap_or_default().to_string(),
        revision: td.revision(),
        cpu: owned(td.cpu()),
        memory: owned(td.memory()),
        network_mode: td.network_mode().map(|mode| mode.as_str().to_string()),
        requires_compatibilities: td
            .requires_compatibilities()
            .iter()
            .map(|compatibility| compatibility.as_str().to_string())
            .collect(),
        cpu_architecture: td
            .runtime_platform()
            .and_then(|platform| platform.cpu_architecture())
            .map(|architecture| architecture.as_str().to_string()),
        execution_role_arn: owned(td.execution_role_arn()),
        task_role_arn: owned(td.task_role_arn()),
        containers: td
            .container_definitions()
            .iter()
            .map(container_definition)
            .collect(),
        os_family: td
            .runtime_platform()
            .and_then(|platform| platform.operating_system_family())
            .map(|family| family.as_str().to_string()),
        registered_by: owned(td.registered_by()),
        registered_at: time(td.registered_at()),
    }
}

fn container_definition(definition: &sdk::ContainerDefinition) -> ContainerDefinition {
    ContainerDefinition {
        name: definition.name().unwrap_or_default().to_string(),
        image: image(definition.image()),
        essential: definition.essential().unwrap_or(true),
        memory: definition.memory(),
        memory_reservation: definition.memory_reservation(),
        cpu: Some(definition.cpu()).filter(|units| *units != 0),
        command: definition.command().to_vec(),
        entry_point: definition.entry_point().to_vec(),
        health_check: definition.health_check().map(|check| HealthCheck {
            command: check.command().to_vec(),
            interval: check.interval(),
            timeout: check.timeout(),
            retries: check.retries(),
            start_period: check.start_period(),
        }),
        log: definition.log_configuration().map(log_configuration),
        environment_names: definition
            .environment()
            .iter()
            .filter_map(|pair| pair.name().map(str::to_string))
            .collect(),
        secrets: definition
            .secrets()
            .iter()
            .map(|secret| SecretRef {
                name: secret.name().to_string(),
                value_from: secret.value_from().to_string(),
            })
            .collect(),
        stop_timeout: definition.stop_timeout(),
        ports: definition
            .port_mappings()
            .iter()
            .filter_map(|mapping| mapping.container_port())
            .collect(),
    }
}

fn log_configuration(log: &sdk::LogConfiguration) -> LogConfiguration {
    let driver = log.log_driver().as_str().to_string();
    // Other drivers' options (splunk-token, firelens outputs) may hold credentials.
    let options = if driver == "awslogs" {
        log.options()
            .map(|options| {
                options
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Default::default()
    };
    LogConfiguration { driver, options }
}

pub fn service(service: &sdk::Service) -> Service {
    Service {
        name: service.service_name().unwrap_or_default().to_string(),
        arn: owned(service.service_arn()),
        status: owned(service.status()),
        desired_count: Some(service.desired_count()),
        running_count: Some(service.running_count()),
        pending_count: Some(service.pending_count()),
        task_definition: owned(service.task_definition()),
        launch_type: service
            .launch_type()
            .map(|launch| launch.as_str().to_string()),
        health_check_grace_period_seconds: service.health_check_grace_period_seconds(),
        deployment_configuration: service.deployment_configuration().map(|configuration| {
            let breaker = configuration.deployment_circuit_breaker();
            DeploymentConfiguration {
                circuit_breaker_enable: breaker.map(|breaker| breaker.enable()),
                circuit_breaker_rollback: breaker.map(|breaker| breaker.rollback()),
                minimum_healthy_percent: configuration.minimum_healthy_percent(),
                maximum_percent: configuration.maximum_percent(),
            }
        }),
        deployments: service.deployments().iter().map(deployment).collect(),
        load_balancers: service
            .load_balancers()
            .iter()
            .map(|balancer| LoadBalancer {
                target_group_arn: owned(balancer.target_group_arn()),
                container_name: owned(balancer.container_name()),
                container_port: balancer.container_port(),
            })
            .collect(),
        events: service
            .events()
            .iter()
            .take(SERVICE_EVENTS_KEPT)
            .map(|event| ServiceEvent {
                created_at: time(event.created_at()),
                message: event.message().unwrap_or_default().to_string(),
            })
            .collect(),
        network: service
            .network_configuration()
            .and_then(|network| network.awsvpc_configuration())
            .map(|awsvpc| NetworkConfiguration {
                subnets: awsvpc.subnets().to_vec(),
                security_groups: awsvpc.security_groups().to_vec(),
                assign_public_ip: awsvpc
                    .assign_public_ip()
                    .map(|assign| assign.as_str() == "ENABLED"),
            }),
    }
}

fn deployment(deployment: &sdk::Deployment) -> Deployment {
    Deployment {
        id: deployment.id().unwrap_or_default().to_string(),
        status: owned(deployment.status()),
        task_definition: owned(deployment.task_definition()),
        rollout_state: deployment
            .rollout_state()
            .map(|state| state.as_str().to_string()),
        rollout_state_reason: owned(deployment.rollout_state_reason()),
        desired_count: Some(deployment.desired_count()),
        running_count: Some(deployment.running_count()),
        pending_count: Some(deployment.pending_count()),
        failed_tasks: Some(deployment.failed_tasks()),
        created_at: time(deployment.created_at()),
        updated_at: time(deployment.updated_at()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_values_and_other_drivers_options_never_cross() {
        let td = sdk::TaskDefinition::builder()
            .family("api")
            .revision(7)
            .container_definitions(
                sdk::ContainerDefinition::builder()
                    .name("api")
                    .environment(
                        sdk::KeyValuePair::builder()
                            .name("DATABASE_URL")
                            .value("postgres://u:hunter2@db")
                            .build(),
                    )
                    .secrets(
                        sdk::Secret::builder()
                            .name("TOKEN")
                            .value_from("arn:aws:ssm:eu-west-1:1:parameter/token")
                            .build()
                            .unwrap(),
                    )
                    .log_configuration(
                        sdk::LogConfiguration::builder()
                            .log_driver(sdk::LogDriver::Splunk)
                            .options("splunk-token", "s3cr3t")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build();
        let converted = task_definition(&td);
        let text = serde_json::to_string(&converted).unwrap();
        assert!(
            !text.contains("hunter2") && !text.contains("s3cr3t"),
            "{text}"
        );
        let api = converted.container("api").unwrap();
        assert_eq!(api.environment_names, ["DATABASE_URL"]);
        assert_eq!(
            api.secrets[0].value_from,
            "arn:aws:ssm:eu-west-1:1:parameter/token"
        );
        assert_eq!(api.log.as_ref().unwrap().driver, "splunk");
        assert!(api.essential, "ECS's default is essential");
    }
}
