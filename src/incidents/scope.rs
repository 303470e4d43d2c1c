//! What "the same incident" means, once: a root cause of one service (or task family) in one
//! cluster, account and region, and the deployment it belongs to. Flood control keys its state
//! by it, the chat thread and the history are named after it.

use serde::{Deserialize, Serialize};

use crate::arn::{self, TaskDefinitionRef};
use crate::event::{Detail, EcsEvent};
use crate::incident::Incident;
use crate::report::IncidentRef;

/// One service (or, for tasks outside a service, one task family) of one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    pub account: String,
    pub region: String,
    pub cluster: String,
    /// `service:NAME` or `family:NAME`.
    pub subject: String,
}

/// Where an event says its failure belongs inside the scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub scope: Scope,
    /// The deployment the failure belongs to: `ecs-svc/…` for a service's tasks and deployment
    /// events, `family:revision` for a standalone task. None: the event names no deployment
    /// (placement failures, impaired starts), so it joins the scope's open incident.
    pub deployment: Option<String>,
    /// A rollback names the deployment it starts, not the one that failed: it joins the scope's
    /// open incident rather than opening one of its own.
    pub joins_open: bool,
}

const UNKNOWN: &str = "-";

impl Scope {
    /// The key of the scope's state: `ACCOUNT/REGION/CLUSTER/service:NAME`.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.account, self.region, self.cluster, self.subject
        )
    }

    /// The cluster's key, for storms across its services: `ACCOUNT/REGION/CLUSTER`.
    pub fn cluster_key(&self) -> String {
        format!("{}/{}/{}", self.account, self.region, self.cluster)
    }

    /// The service's name, when the scope is a service.
    pub fn service(&self) -> Option<&str> {
        self.subject.strip_prefix("service:")
    }

    /// "service api" or "task family batch".
    pub fn label(&self) -> String {
        match (self.service(), self.subject.strip_prefix("family:")) {
            (Some(service), _) => format!("service {service}"),
            (None, Some(family)) => format!("task family {family}"),
            _ => self.subject.clone(),
        }
    }
}

fn or_unknown(value: Option<&str>) -> String {
    value
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .unwrap_or(UNKNOWN)
        .to_string()
}

/// Where the event's failure (or recovery) belongs. None: the event names neither a service nor
/// a task family, so it cannot be grouped with anything.
pub fn placement(event: &EcsEvent) -> Option<Placement> {
    match &event.detail {
        Detail::Task(task) => {
            let task_arn = task.task_arn.as_deref().unwrap_or_default();
            let account = event.account.as_deref().or(arn::account_of(task_arn));
            let region = event.region.as_deref().or(arn::region_of(task_arn));
            let definition = task
                .task_definition_arn
                .as_deref()
                .map(TaskDefinitionRef::parse);
            let subject = match (task.service(), definition) {
                (Some(service), _) => format!("service:{service}"),
                (None, Some(definition)) => format!("family:{}", definition.family),
                (None, None) => return None,
            };
            let deployment = match task.started_by.as_deref() {
                Some(by) if by.starts_with("ecs-svc/") => Some(by.to_string()),
                _ => definition.map(|definition| definition.name()),
            };
            Some(Placement {
                scope: Scope {
                    account: or_unknown(account),
                    region: or_unknown(region),
                    cluster: or_unknown(task.cluster()),
                    subject,
                },
                deployment,
                joins_open: false,
            })
        }
        Detail::Deployment(change) => {
            let service = event.service_ref()?;
            let rollback = change
                .reason
                .as_deref()
                .is_some_and(|reason| reason.to_ascii_lowercase().contains("roll"));
            Some(Placement {
                scope: service_scope(event, &service),
                deployment: change.deployment_id.clone(),
                joins_open: rollback && change.event_name.ends_with("IN_PROGRESS"),
            })
        }
        Detail::ServiceAction(_) | Detail::Hook(_) => {
            let service = event.service_ref()?;
            Some(Placement {
                scope: service_scope(event, &service),
                deployment: None,
                joins_open: true,
            })
        }
        // A managed daemon's failures are one incident per daemon, its deployment's steps too.
        Detail::DaemonAction(daemon) => daemon_placement(
            event,
            daemon.cluster_arn.as_deref(),
            daemon.daemon_arn.as_deref(),
        ),
        Detail::DaemonDeployment(deployment) => daemon_placement(
            event,
            deployment.cluster_arn.as_deref(),
            deployment.daemon_arn.as_deref(),
        ),
        Detail::InstanceHealth(health) => {
            let instance = health.ec2_instance_id.as_deref().or(health
                .container_instance_arn
                .as_deref()
                .map(arn::last_segment))?;
            Some(Placement {
                scope: Scope {
                    account: or_unknown(event.account.as_deref()),
                    region: or_unknown(event.region.as_deref()),
                    cluster: or_unknown(health.cluster_arn.as_deref().map(arn::last_segment)),
                    subject: format!("instance:{instance}"),
                },
                deployment: None,
                joins_open: true,
            })
        }
    }
}

fn daemon_placement(
    event: &EcsEvent,
    cluster: Option<&str>,
    daemon: Option<&str>,
) -> Option<Placement> {
    Some(Placement {
        scope: Scope {
            account: or_unknown(event.account.as_deref()),
            region: or_unknown(event.region.as_deref()),
            cluster: or_unknown(cluster.map(arn::last_segment)),
            subject: format!("daemon:{}", arn::last_segment(daemon?)),
        },
        deployment: None,
        joins_open: true,
    })
}

fn service_scope(event: &EcsEvent, service: &crate::event::ServiceRef) -> Scope {
    Scope {
        account: or_unknown(event.account.as_deref().or(service.account.as_deref())),
        region: or_unknown(event.region.as_deref().or(service.region.as_deref())),
        cluster: service.cluster.clone(),
        subject: format!("service:{}", service.service),
    }
}

/// The chat thread of an incident: `ecs-doctor/ACCOUNT/REGION/CLUSTER/service:NAME/DEPLOYMENT`,
/// every part cut to characters Amazon Q Developer keeps in a thread id.
pub fn thread_id(scope: &Scope, deployment: &str) -> String {
    let part = |value: &str| -> String {
        let value: String = value
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':') {
                    c
                } else {
                    '_'
                }
            })
            .take(128)
            .collect();
        if value.is_empty() {
            UNKNOWN.to_string()
        } else {
            value
        }
    };
    format!(
        "ecs-doctor/{}/{}/{}/{}/{}",
        part(&scope.account),
        part(&scope.region),
        part(&scope.cluster),
        part(&scope.subject),
        part(deployment)
    )
}

/// The incident the event alone points at (flood control may fold it into another one).
pub fn incident_ref(incident: &Incident) -> IncidentRef {
    let Some(placement) = incident.event.as_ref().and_then(placement) else {
        return IncidentRef::default();
    };
    let deployment = placement.deployment.as_deref().unwrap_or("service");
    IncidentRef {
        id: format!("{}/{deployment}", placement.scope.key()),
        thread: thread_id(&placement.scope, deployment),
        message: "opened".to_string(),
        occurrences: 1,
        opened_at: None,
        services: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse_value;
    use serde_json::json;

    fn task_event(started_by: &str) -> EcsEvent {
        parse_value(json!({
            "version": "0", "id": "e", "detail-type": "ECS Task State Change", "source": "aws.ecs",
            "account": "111122223333", "region": "eu-west-1", "time": "2026-11-20T10:00:00Z",
            "resources": [], "detail": {
                "taskArn": "arn:aws:ecs:eu-west-1:111122223333:task/prod/0f3a",
                "clusterArn": "arn:aws:ecs:eu-west-1:111122223333:cluster/prod",
                "taskDefinitionArn": "arn:aws:ecs:eu-west-1:111122223333:task-definition/api:7",
                "group": if started_by.starts_with("ecs-svc") { "service:api" } else { "family:api" },
                "startedBy": started_by, "lastStatus": "STOPPED"
            }
        }))
        .unwrap()
    }

    fn deployment_event(name: &str, id: &str, reason: &str) -> EcsEvent {
        parse_value(json!({
            "version": "0", "id": "d", "detail-type": "ECS Deployment State Change", "source": "aws.ecs",
            "account": "111122223333", "region": "eu-west-1", "time": "2026-11-20T10:00:00Z",
            "resources": ["arn:aws:ecs:eu-west-1:111122223333:service/prod/api"],
            "detail": {"eventType": "ERROR", "eventName": name, "deploymentId": id, "reason": reason}
        }))
        .unwrap()
    }

    #[test]
    fn a_deployments_tasks_its_failure_and_its_rollback_share_one_scope() {
        let task = placement(&task_event("ecs-svc/111")).unwrap();
        let failed = placement(&deployment_event(
            "SERVICE_DEPLOYMENT_FAILED",
            "ecs-svc/111",
            "ECS deployment circuit breaker: task failed to start.",
        ))
        .unwrap();
        let rollback = placement(&deployment_event(
            "SERVICE_DEPLOYMENT_IN_PROGRESS",
            "ecs-svc/222",
            "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/000.",
        ))
        .unwrap();
        assert_eq!(task.scope, failed.scope);
        assert_eq!(task.scope, rollback.scope);
        assert_eq!(task.deployment, failed.deployment);
        assert!(rollback.joins_open && !failed.joins_open);
        assert_eq!(task.scope.key(), "111122223333/eu-west-1/prod/service:api");
    }

    #[test]
    fn a_standalone_task_is_grouped_by_family_and_revision() {
        let task = placement(&task_event("events-rule/nightly")).unwrap();
        assert_eq!(task.scope.subject, "family:api");
        assert_eq!(task.deployment.as_deref(), Some("api:7"));
        assert_eq!(
            thread_id(&task.scope, "api:7"),
            "ecs-doctor/111122223333/eu-west-1/prod/family:api/api:7"
        );
    }
}
