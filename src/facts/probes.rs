//! The probes, declared once: each one's `PROBES` id, what it is for, the IAM actions it reads
//! in the failure's account, and what it finds (each read: what it asks, the field of
//! [`super::Investigation`] it fills, the function that reads it and what the gap calls it).
//! Everything else comes from these rows: `Probe` and its ids and actions here (the member
//! role's actions, the setting's parser and the README's table of probes read them), the
//! `Investigation` and its merge (facts/mod.rs), the `Plan` and what PROBES turns off
//! (investigate/plan.rs), and the concurrent run (investigate/mod.rs).

use crate::iam::*;

/// The declaration: hands the rows to `$consumer`, a macro that reads this grammar and writes
/// its part (`probe_kinds` below; `investigation`, `plan`, `run_probes` where they live). A
/// read's function (`by`) is named from `investigate/`, where the run is written.
macro_rules! declared_probes {
    ($consumer:ident) => {
        $consumer! {
            /// The image: its tags, its platforms, the repository's policy.
            Image = "image", for "image pulls, wrong architecture, an exit 1 without a log line",
                reads [ECR_DESCRIBE_IMAGES, ECR_BATCH_GET_IMAGE, ECR_GET_REPOSITORY_POLICY],
                finds [
                    image: crate::facts::ecr::ImageAsk => Option<crate::facts::ecr::ImageFacts>,
                        by ecr::probe, "the image in its registry";
                ];
            /// The target groups' health checks and what the targets answered.
            LoadBalancer = "load-balancer", for "ELB health checks",
                reads [ELB_DESCRIBE_TARGET_GROUPS, ELB_DESCRIBE_TARGET_HEALTH],
                finds [
                    target_groups: crate::facts::elb::TargetGroupAsk
                        => Vec<crate::facts::elb::TargetGroupFacts>,
                        by elb::probe, "the target group's health check";
                ];
            /// The container's memory over the hour before it stopped.
            Memory = "memory", for "OOM kills", reads [CLOUDWATCH_GET_METRIC_DATA],
                finds [
                    memory: crate::facts::memory::MemoryAsk
                        => Option<crate::facts::memory::MemoryFacts>,
                        by memory::probe, "the service's memory use (Container Insights)";
                ];
            /// Capacity: the subnets' free addresses and the container instances' room.
            Placement = "placement", for "placement failures",
                reads [EC2_DESCRIBE_SUBNETS, ECS_LIST_CONTAINER_INSTANCES, ECS_DESCRIBE_CONTAINER_INSTANCES],
                finds [
                    subnets: crate::facts::capacity::SubnetAsk
                        => Vec<crate::facts::capacity::SubnetFacts>,
                        by capacity::subnets, "the subnets' free addresses";
                    instances: crate::facts::capacity::InstanceAsk
                        => Option<crate::facts::capacity::InstancesFacts>,
                        by capacity::instances, "the cluster's container instances";
                ];
            /// Routes, endpoints and egress of the task's subnets.
            Network = "network", for "pulls, secrets or logs that could not reach AWS",
                reads [
                    EC2_DESCRIBE_SUBNETS,
                    EC2_DESCRIBE_ROUTE_TABLES,
                    EC2_DESCRIBE_VPC_ENDPOINTS,
                    EC2_DESCRIBE_SECURITY_GROUPS,
                ],
                finds [
                    network: crate::facts::network::NetworkAsk
                        => Option<crate::facts::network::NetworkFacts>,
                        by network::probe, "the task's network path";
                ];
            /// The referenced secrets and parameters (metadata only) and their KMS keys.
            Secrets = "secrets", for "secrets errors",
                reads [SECRETSMANAGER_DESCRIBE_SECRET, SSM_DESCRIBE_PARAMETERS, KMS_DESCRIBE_KEY],
                finds [
                    secrets: crate::facts::secrets::SecretAsk
                        => Vec<crate::facts::secrets::SecretFacts>,
                        by secrets::probe, "the referenced secrets";
                ];
            /// The failing deployment: alarms, circuit breaker, rollback, lifecycle hooks.
            Deployment = "deployment",
                for "deployments failed by alarms, the circuit breaker or a lifecycle hook",
                reads [
                    ECS_LIST_SERVICE_DEPLOYMENTS,
                    ECS_DESCRIBE_SERVICE_DEPLOYMENTS,
                    ECS_DESCRIBE_SERVICE_REVISIONS,
                    CLOUDWATCH_DESCRIBE_ALARMS,
                    LOGS_FILTER_LOG_EVENTS,
                ],
                finds [
                    deployment: crate::facts::deployments::DeploymentAsk
                        => Option<crate::facts::deployments::DeploymentFacts>,
                        by deployments::probe, "the service's deployments";
                    /// The lifecycle hook function that failed the deployment, and what it logged.
                    hook: crate::facts::hooks::HookAsk => Option<crate::facts::hooks::HookLog>,
                        by hooks::probe, "the hook function's log";
                ];
            /// What changed since the last revision that ran fine (task definitions are also
            /// read by every failure: `aws::READ_ACTIONS`).
            Changes = "changes", for "every failure of a service or family",
                reads [ECS_DESCRIBE_TASK_DEFINITION],
                finds [
                    /// The last revision that ran fine, as read (the diff is `changes::diff`).
                    previous: crate::facts::changes::PreviousAsk
                        => Option<crate::facts::changes::Previous>,
                        by changes::previous, "the last revision that ran fine";
                ];
        }
    };
}

pub(crate) use declared_probes;

/// `Probe`, its ids, purposes and actions, from the declaration.
macro_rules! probe_kinds {
    ($($(#[$doc:meta])* $name:ident = $id:literal, for $purpose:literal, reads [$($action:ident),* $(,)?],
        finds [$($(#[$field_doc:meta])* $field:ident: $ask:ty => $found:ty, by $read:path, $what:literal;)+];)*) => {
        /// One kind of probe, as PROBES names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Probe {
            $($(#[$doc])* $name,)*
        }

        impl Probe {
            pub const ALL: [Probe; 0 $(+ { let _ = stringify!($name); 1 })*] =
                [$(Probe::$name),*];

            /// The name PROBES uses.
            pub const fn id(self) -> &'static str {
                match self {
                    $(Probe::$name => $id,)*
                }
            }

            /// The failures it is for (the README's table says the same).
            pub const fn purpose(self) -> &'static str {
                match self {
                    $(Probe::$name => $purpose,)*
                }
            }

            /// The AWS actions the probe calls, in the failure's account.
            pub const fn actions(self) -> &'static [&'static str] {
                match self {
                    $(Probe::$name => &[$($action),*],)*
                }
            }
        }
    };
}

declared_probes!(probe_kinds);

/// Which probes run (PROBES: `all`, `none`, or a comma-separated list of ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probes(Vec<Probe>);

impl Default for Probes {
    fn default() -> Self {
        Probes(Probe::ALL.to_vec())
    }
}

impl Probes {
    pub fn none() -> Probes {
        Probes(Vec::new())
    }

    /// Reads `all`, `none`, or `image,memory,…`; Err names the unknown id.
    pub fn parse(setting: &str) -> Result<Probes, String> {
        match setting.trim() {
            "" | "all" => Ok(Probes::default()),
            "none" => Ok(Probes::none()),
            list => list
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(|id| {
                    Probe::ALL
                        .into_iter()
                        .find(|probe| probe.id() == id)
                        .ok_or_else(|| id.to_string())
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Probes),
        }
    }

    pub fn has(&self, probe: Probe) -> bool {
        self.0.contains(&probe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_chosen_by_name() {
        assert_eq!(Probes::parse("all").unwrap(), Probes::default());
        assert!(!Probes::parse("none").unwrap().has(Probe::Image));
        let some = Probes::parse("image, memory").unwrap();
        assert!(some.has(Probe::Image) && some.has(Probe::Memory) && !some.has(Probe::Network));
        assert_eq!(Probes::parse("image,nope").unwrap_err(), "nope");
        for probe in Probe::ALL {
            assert!(!probe.actions().is_empty(), "{}", probe.id());
        }
    }

    /// The README's table of probes (section "The investigation") says each probe's id and
    /// what it is for as declared here, in the same order.
    #[test]
    fn the_readme_table_of_probes_is_the_declaration() {
        let rows: Vec<(String, String)> = crate::readme::table_rows("## The investigation")
            .into_iter()
            .map(|line| {
                let cells: Vec<&str> = line.split(" | ").collect();
                let id = cells[0]
                    .trim_start_matches("| ")
                    .trim_matches('`')
                    .to_string();
                (id, cells[1].to_string())
            })
            .collect();
        let declared: Vec<(String, String)> = Probe::ALL
            .iter()
            .map(|probe| (probe.id().to_string(), probe.purpose().to_string()))
            .collect();
        assert_eq!(
            rows, declared,
            "README.md's table of probes and src/facts/probes.rs disagree"
        );
    }
}
