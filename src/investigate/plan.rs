//! Which probes a hypothesis needs, and what each must look at. Pure: the event and the first
//! reading choose the early wave (run while the rest is gathered); the incident and the
//! diagnosis choose the late one (what needs the task definition or the service).

use chrono::Utc;

use crate::arn::{self, TaskDefinitionRef};
use crate::event::{Detail, EcsEvent, Task};
use crate::facts::capacity::{InstanceAsk, SubnetAsk};
use crate::facts::changes::PreviousAsk;
use crate::facts::deployments::DeploymentAsk;
use crate::facts::ecr::ImageAsk;
use crate::facts::elb::{Registration, TargetGroupAsk};
use crate::facts::hooks::HookAsk;
use crate::facts::memory::MemoryAsk;
use crate::facts::network::{Need, NetworkAsk};
use crate::facts::secrets::{Reference, SecretAsk};
use crate::facts::Investigation;
use crate::facts::{Probe, Probes};
use crate::incident::{Incident, TaskDefinition};
use crate::report::hypotheses;
use crate::report::{Category, Report};

/// `Plan`, a field a read (facts/probes.rs declares them): what each must look at.
macro_rules! plan {
    ($($(#[$doc:meta])* $name:ident = $id:literal, for $purpose:literal, reads [$($action:ident),* $(,)?],
        finds [$($(#[$field_doc:meta])* $field:ident: $ask:ty => $found:ty, by $read:path, $what:literal;)+];)*) => {
        /// The probes to run, each with what it must look at.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Plan {
            $($($(#[$field_doc])* pub $field: Option<$ask>,)+)*
        }

        impl Plan {
            /// The kinds of probe the plan runs: those with a read to make.
            pub fn probes(&self) -> Vec<Probe> {
                let mut probes = Vec::new();
                $(if false $(|| self.$field.is_some())+ {
                    probes.push(Probe::$name);
                })*
                probes
            }

            /// Drops what PROBES turned off.
            fn allowed(mut self, probes: &Probes) -> Plan {
                $(if !probes.has(Probe::$name) {
                    $(self.$field = None;)+
                })*
                self
            }
        }
    };
}

crate::facts::probes::declared_probes!(plan);

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.probes().is_empty()
    }
}

fn image_checks(category: Category) -> Option<(bool, bool, bool)> {
    // (existence, platforms, cross-account policy)
    match category {
        Category::ImagePullNotFound => Some((true, false, false)),
        Category::ImagePullAuth => Some((true, false, true)),
        Category::WrongArchitecture => Some((false, true, false)),
        _ => None,
    }
}

fn network_needs(category: Category, reason: &str) -> Vec<Need> {
    let reason = reason.to_ascii_lowercase();
    match category {
        Category::ImagePullNetwork => vec![Need::Ecr],
        Category::LogDriverFailed => vec![Need::Logs],
        Category::SecretsNetwork if reason.contains("ssm") || reason.contains("parameter") => {
            vec![Need::Ssm]
        }
        Category::SecretsNetwork
            if reason.contains("secretsmanager") || reason.contains("secrets manager") =>
        {
            vec![Need::SecretsManager]
        }
        Category::SecretsNetwork => vec![Need::SecretsManager, Need::Ssm],
        _ => Vec::new(),
    }
}

/// The early wave: what the event and the first reading already point at.
pub fn plan_early(event: &EcsEvent, quick: &Report, probes: &Probes) -> Plan {
    if !quick.notify {
        return Plan::default();
    }
    let mut plan = Plan::default();
    let categories = hypotheses(quick);
    match &event.detail {
        Detail::Task(task) => {
            let container = quick.resources.container.as_deref();
            for category in &categories {
                if let Some(checks) = image_checks(*category) {
                    plan.image =
                        image_from_event(task, container, checks, event.account.as_deref());
                }
            }
            if categories.contains(&Category::Oom) {
                plan.memory = memory_ask(task, event);
            }
            if let Some(subnet) = task.subnet() {
                if categories.contains(&Category::PlacementEniOrIp) {
                    plan.subnets = Some(SubnetAsk {
                        subnets: vec![subnet.to_string()],
                    });
                }
                let needs = network_needs(quick.category, &quick.summary);
                if !needs.is_empty() {
                    plan.network = Some(NetworkAsk {
                        subnets: vec![subnet.to_string()],
                        security_groups: Vec::new(),
                        assign_public_ip: None,
                        needs,
                        region: region_of(event, task),
                    });
                }
            }
            plan.previous = task
                .task_definition_arn
                .as_deref()
                .and_then(previous_revision);
        }
        Detail::DaemonAction(_) | Detail::DaemonDeployment(_) | Detail::InstanceHealth(_) => {}
        Detail::Deployment(_) | Detail::ServiceAction(_) | Detail::Hook(_) => {
            if categories.iter().any(|c| deployment_probe(*c)) {
                plan.deployment = deployment_ask(event);
            }
            if categories.contains(&Category::DeploymentHookFailed) {
                plan.hook = hook_ask(event);
            }
        }
    }
    plan.allowed(probes)
}

fn deployment_probe(category: Category) -> bool {
    matches!(
        category,
        Category::CircuitBreakerFailure
            | Category::CircuitBreakerRollback
            | Category::DeploymentAlarm
            | Category::TaskStartImpaired
            | Category::DeploymentHookFailed
            | Category::DeploymentTrafficConfig
            | Category::InfrastructureRole
            | Category::RollbackFailed
    )
}

/// The hook function a deployment's reason names.
fn hook_ask(event: &EcsEvent) -> Option<HookAsk> {
    match &event.detail {
        Detail::Deployment(change) => HookAsk::from_reason(change.reason.as_deref()?, event.time),
        _ => None,
    }
}

fn deployment_ask(event: &EcsEvent) -> Option<DeploymentAsk> {
    let service = event.service_ref()?;
    Some(DeploymentAsk {
        cluster: service.cluster,
        service: service.service,
        event_deployment: match &event.detail {
            Detail::Deployment(change) => change.deployment_id.clone(),
            _ => event.id.clone(),
        },
    })
}

fn region_of(event: &EcsEvent, task: &Task) -> String {
    event
        .region
        .clone()
        .or_else(|| {
            task.task_arn
                .as_deref()
                .and_then(arn::region_of)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "us-east-1".into())
}

fn image_from_event(
    task: &Task,
    container: Option<&str>,
    (existence, platforms, policy): (bool, bool, bool),
    account: Option<&str>,
) -> Option<ImageAsk> {
    let container = container
        .and_then(|name| task.container(name))
        .or_else(|| task.containers.iter().find(|c| c.reason.is_some()))
        .or(task.containers.first())?;
    Some(ImageAsk {
        container: container.name.clone(),
        image: container.image.clone()?,
        existence,
        platforms,
        pulling_account: policy.then(|| account.map(str::to_string)).flatten(),
    })
}

fn memory_ask(task: &Task, event: &EcsEvent) -> Option<MemoryAsk> {
    Some(MemoryAsk {
        cluster: task.cluster_arn.clone()?,
        service: task.service().map(str::to_string),
        family: task
            .task_definition()
            .map(|td| TaskDefinitionRef::parse(td).family.to_string()),
        until: task.stopped_at.or(event.time).unwrap_or_else(Utc::now),
    })
}

fn previous_revision(task_definition: &str) -> Option<PreviousAsk> {
    Some(PreviousAsk {
        reference: TaskDefinitionRef::parse(task_definition).previous()?,
        basis: "the previous revision of the family".into(),
        failing: None,
    })
}

/// The late wave: what needs the task definition, the service or the diagnosis, and was not
/// probed early.
pub fn plan_late(
    incident: &Incident,
    report: &Report,
    early: &Investigation,
    probes: &Probes,
) -> Plan {
    if !report.notify {
        return Plan::default();
    }
    let categories = hypotheses(report);
    let ran = |probe: Probe| early.ran.iter().any(|id| id == probe.id());
    let has = |category: Category| categories.contains(&category);
    let task = incident.task();
    let td = incident.task_definition.as_ref();
    let service = incident.service.as_ref();
    let mut plan = Plan::default();
    if !ran(Probe::Image) {
        plan.image = late_image(incident, report, &categories);
    }
    if has(Category::ElbHealthCheck) {
        plan.target_groups = service
            .map(|service| TargetGroupAsk {
                target_groups: service
                    .load_balancers
                    .iter()
                    .filter_map(|lb| {
                        Some(Registration {
                            arn: lb.target_group_arn.clone()?,
                            container: lb.container_name.clone(),
                            container_port: lb.container_port,
                        })
                    })
                    .collect(),
                task_ip: task.and_then(Task::private_ip).map(str::to_string),
            })
            .filter(|ask| !ask.target_groups.is_empty());
    }
    if has(Category::Oom) && !ran(Probe::Memory) {
        plan.memory =
            task.and_then(|task| incident.event.as_ref().and_then(|e| memory_ask(task, e)));
    }
    late_placement(&mut plan, incident, &categories, ran(Probe::Placement));
    late_network(&mut plan, incident, report, ran(Probe::Network));
    if categories.iter().any(|c| secrets_probe(*c)) {
        plan.secrets = td
            .map(|td| secret_ask(td, report, incident))
            .filter(|ask| !ask.references.is_empty());
    }
    plan.previous = late_previous(incident, early, ran(Probe::Changes));
    plan.allowed(probes)
}

fn secrets_probe(category: Category) -> bool {
    matches!(
        category,
        Category::SecretsAccessDenied
            | Category::SecretsKms
            | Category::SecretsInvalidReference
            | Category::SecretsNetwork
    )
}

/// The image of the failed container from the task definition (a deployment's tasks), or an
/// architecture check for an exit 1 that left no log line.
fn late_image(incident: &Incident, report: &Report, categories: &[Category]) -> Option<ImageAsk> {
    let td = incident.task_definition.as_ref()?;
    let container = report
        .resources
        .container
        .as_deref()
        .and_then(|name| td.container(name))
        .or_else(|| td.containers.iter().find(|c| c.essential))?;
    let silent_exit = categories.contains(&Category::AppCrash)
        && incident
            .task()
            .and_then(|task| task.container(&container.name))
            .is_some_and(|c| c.exit_code == Some(1))
        && incident
            .log_tail(&container.name)
            .is_none_or(|tail| tail.lines.is_empty());
    let (existence, platforms, policy) = categories
        .iter()
        .find_map(|c| image_checks(*c))
        .or(silent_exit.then_some((false, true, false)))?;
    let account = incident.event.as_ref().and_then(|e| e.account.clone());
    Some(ImageAsk {
        container: container.name.clone(),
        image: container.image.clone()?,
        existence,
        platforms,
        pulling_account: if policy { account } else { None },
    })
}

fn late_placement(plan: &mut Plan, incident: &Incident, categories: &[Category], ran: bool) {
    if ran {
        return;
    }
    let service = incident.service.as_ref();
    if categories.contains(&Category::PlacementEniOrIp) {
        plan.subnets = service
            .and_then(|s| s.network.as_ref())
            .map(|network| SubnetAsk {
                subnets: network.subnets.clone(),
            })
            .filter(|ask| !ask.subnets.is_empty());
    }
    let on_ec2 = service.is_some_and(|s| s.launch_type.as_deref() != Some("FARGATE"));
    let capacity = categories.iter().any(|c| {
        matches!(
            c,
            Category::PlacementResources | Category::PlacementConstraint
        )
    });
    if capacity && on_ec2 {
        let cluster = incident
            .event
            .as_ref()
            .and_then(EcsEvent::service_ref)
            .map(|s| s.cluster)
            .or_else(|| incident.task().and_then(|t| t.cluster_arn.clone()));
        plan.instances = cluster.map(|cluster| {
            let (cpu, memory) = incident
                .task_definition
                .as_ref()
                .map_or((None, None), TaskDefinition::needs);
            InstanceAsk {
                cluster,
                cpu,
                memory,
                task_definition: incident
                    .service
                    .as_ref()
                    .and_then(|s| s.task_definition.clone()),
            }
        });
    }
}

fn late_network(plan: &mut Plan, incident: &Incident, report: &Report, ran: bool) {
    let needs = network_needs(report.category, &report.summary);
    let root_needs = report
        .root_cause
        .as_ref()
        .map(|root| network_needs(root.category, &root.summary))
        .unwrap_or_default();
    let needs = if needs.is_empty() { root_needs } else { needs };
    let Some(network) = incident.service.as_ref().and_then(|s| s.network.as_ref()) else {
        return;
    };
    // Early, the task's subnet was read without its security groups: read them now.
    if needs.is_empty() || (ran && network.security_groups.is_empty()) {
        return;
    }
    let region = incident
        .event
        .as_ref()
        .and_then(|e| e.region.clone())
        .unwrap_or_else(|| "us-east-1".into());
    plan.network = Some(NetworkAsk {
        subnets: network.subnets.clone(),
        security_groups: network.security_groups.clone(),
        assign_public_ip: network.assign_public_ip,
        needs,
        region,
    });
}

/// The references of the failed container (those the reason names, when it names some).
fn secret_ask(td: &TaskDefinition, report: &Report, incident: &Incident) -> SecretAsk {
    let said: String = report
        .evidence
        .iter()
        .map(|e| e.text.as_str())
        .chain([report.summary.as_str()])
        .collect::<Vec<_>>()
        .join("\n");
    let all: Vec<Reference> = td
        .containers
        .iter()
        .flat_map(|c| {
            c.secrets.iter().map(|s| Reference {
                container: c.name.clone(),
                name: s.name.clone(),
                value_from: s.value_from.clone(),
            })
        })
        .collect();
    let named: Vec<Reference> = all
        .iter()
        .filter(|r| {
            let id = crate::facts::secrets::Pointer::parse(&r.value_from).id;
            said.contains(&r.value_from) || said.contains(&id)
        })
        .cloned()
        .collect();
    SecretAsk {
        references: if named.is_empty() { all } else { named },
        account: incident
            .event
            .as_ref()
            .and_then(|e| e.account.clone())
            .or_else(|| {
                td.arn
                    .as_deref()
                    .and_then(arn::account_of)
                    .map(str::to_string)
            }),
    }
}

/// A better revision to compare with than the family's previous one: the deployment's, or the
/// service's other deployment; for a deployment event, the failed revision's predecessor.
fn late_previous(
    incident: &Incident,
    early: &Investigation,
    ran_early: bool,
) -> Option<PreviousAsk> {
    let gathered = incident
        .task_definition
        .as_ref()
        .and_then(|td| td.arn.clone());
    let failing_arn = gathered
        .clone()
        .or_else(|| failing_revision(incident, early))?;
    let same = |a: &str, b: &str| arn::task_definition_name(a) == arn::task_definition_name(b);
    let candidate = early
        .deployment
        .as_ref()
        .and_then(|d| d.previous_task_definition())
        .map(|(td, basis)| (td.to_string(), basis.to_string()))
        .or_else(|| other_deployment(incident, &failing_arn))
        .or_else(|| {
            // The family's previous revision was asked for early (found or not): once is enough.
            previous_revision(&failing_arn)
                .filter(|_| !ran_early)
                .map(|ask| (ask.reference, ask.basis))
        })?;
    if same(&candidate.0, &failing_arn) {
        return None;
    }
    let already = early.previous.as_ref().is_some_and(|p| {
        format!(
            "{}:{}",
            p.task_definition.family, p.task_definition.revision
        ) == arn::task_definition_name(&candidate.0)
    });
    (!already).then(|| PreviousAsk {
        reference: candidate.0,
        basis: candidate.1,
        failing: gathered.is_none().then_some(failing_arn),
    })
}

/// The revision a failed deployment ran, when none of its tasks was read: as the deployment
/// probe or the service's deployments name it.
fn failing_revision(incident: &Incident, early: &Investigation) -> Option<String> {
    early
        .deployment
        .as_ref()
        .and_then(|d| d.target_task_definition.clone())
        .or_else(|| {
            let service = incident.service.as_ref()?;
            service
                .deployments
                .iter()
                .find(|d| d.rollout_state.as_deref() == Some("FAILED"))
                .or_else(|| service.primary())
                .and_then(|d| d.task_definition.clone())
        })
}

/// The service's other deployment, when it runs another revision (a rolling deployment in
/// progress, or the one a failed deployment would replace).
fn other_deployment(incident: &Incident, failing: &str) -> Option<(String, String)> {
    let service = incident.service.as_ref()?;
    service
        .deployments
        .iter()
        .filter_map(|d| Some((d, d.task_definition.as_deref()?)))
        .find(|(d, td)| {
            arn::task_definition_name(td) != arn::task_definition_name(failing)
                && d.rollout_state.as_deref() != Some("FAILED")
        })
        .map(|(d, td)| {
            let basis = if d.status.as_deref() == Some("PRIMARY") {
                "the revision the service runs now (its primary deployment)"
            } else {
                "the revision the service ran before (its active deployment)"
            };
            (td.to_string(), basis.to_string())
        })
}
