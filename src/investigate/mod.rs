//! The investigation: the checks an on-call engineer would type next, made before the alert goes
//! out. `plan` (pure) picks the probes the hypothesis needs and what each must look at; `run`
//! runs them concurrently under the gather budget (the only I/O here). Each probe's failure is a
//! gap naming the IAM action to grant; the alert goes out whatever the probes found.
//!
//! Two waves: what the event and the first reading say is probed while the rest is gathered
//! (the image, the target group, the memory curve, the deployment, the subnets' routes and the
//! previous revision); what needs the task definition or the service (secrets, security groups,
//! placement) after it. The first alert's critical path grows by about one round trip.

pub mod changes;
pub mod deployments;
pub mod ecr;
pub mod elb;
pub mod hooks;
pub mod metrics;
pub mod network;
pub mod placement;
pub mod plan;
pub mod secrets;

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::gather::Ctx;
use crate::incident::Gap;

pub use plan::{plan_early, plan_late, Plan};

/// One kind of probe, as PROBES names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Probe {
    Image,
    LoadBalancer,
    Memory,
    Placement,
    Network,
    Secrets,
    Deployment,
    Changes,
}

impl Probe {
    pub const ALL: [Probe; 8] = [
        Probe::Image,
        Probe::LoadBalancer,
        Probe::Memory,
        Probe::Placement,
        Probe::Network,
        Probe::Secrets,
        Probe::Deployment,
        Probe::Changes,
    ];

    /// The name PROBES uses (and `aws::PROBE_ACTIONS` lists the actions under).
    pub const fn id(self) -> &'static str {
        match self {
            Probe::Image => "image",
            Probe::LoadBalancer => "load-balancer",
            Probe::Memory => "memory",
            Probe::Placement => "placement",
            Probe::Network => "network",
            Probe::Secrets => "secrets",
            Probe::Deployment => "deployment",
            Probe::Changes => "changes",
        }
    }

    /// The AWS actions the probe calls.
    pub fn actions(self) -> &'static [&'static str] {
        crate::aws::PROBE_ACTIONS
            .iter()
            .find(|(id, _)| *id == self.id())
            .map_or(&[], |(_, actions)| actions)
    }
}

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

/// Everything the probes found, and what they could not see.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Findings {
    pub image: Option<ecr::ImageFacts>,
    pub target_groups: Vec<elb::TargetGroupFacts>,
    pub memory: Option<metrics::MemoryFacts>,
    pub subnets: Vec<placement::SubnetFacts>,
    pub instances: Option<placement::InstancesFacts>,
    pub network: Option<network::NetworkFacts>,
    pub secrets: Vec<secrets::SecretFacts>,
    pub deployment: Option<deployments::DeploymentFacts>,
    /// The lifecycle hook function that failed the deployment, and what it logged.
    pub hook: Option<hooks::HookLog>,
    /// The last revision that ran fine, as read (the diff is `changes::diff`).
    pub previous: Option<changes::Previous>,
    pub gaps: Vec<Gap>,
    /// The probes that ran, by id.
    pub ran: Vec<String>,
}

impl Findings {
    /// Adds what a later wave found.
    pub fn merge(&mut self, later: Findings) {
        self.image = later.image.or(self.image.take());
        self.target_groups.extend(later.target_groups);
        self.memory = later.memory.or(self.memory.take());
        self.subnets.extend(later.subnets);
        self.instances = later.instances.or(self.instances.take());
        self.network = later.network.or(self.network.take());
        self.secrets.extend(later.secrets);
        self.deployment = later.deployment.or(self.deployment.take());
        self.hook = later.hook.or(self.hook.take());
        self.previous = later.previous.or(self.previous.take());
        self.gaps.extend(later.gaps);
        self.ran.extend(later.ran);
    }
}

/// One probe's answer: its facts, or a gap.
pub type Probed<T> = Result<T, Gap>;

/// Awaits the future when there is one. Boxed where it is made: SDK futures are large (tens of
/// kilobytes in a debug build), and probes side by side would add them all up in one future
/// on the stack.
fn maybe<'a, F: Future + Send + 'a>(
    future: Option<F>,
) -> std::pin::Pin<Box<dyn Future<Output = Option<F::Output>> + Send + 'a>> {
    let boxed = future.map(Box::pin);
    Box::pin(async move {
        match boxed {
            Some(future) => Some(future.await),
            None => None,
        }
    })
}

fn keep<T>(result: Option<Probed<T>>, gaps: &mut Vec<Gap>) -> Option<T> {
    match result? {
        Ok(value) => Some(value),
        Err(gap) => {
            gaps.push(gap);
            None
        }
    }
}

/// Runs a plan's probes concurrently, each under what is left of the gather budget.
pub async fn run(ctx: &Ctx<'_>, plan: &Plan) -> Findings {
    let (image, target_groups, memory, subnets, instances, network, secrets, deployment, hook, previous) = tokio::join!(
        maybe(plan.image.as_ref().map(|ask| ctx.bounded("the image in its registry", ecr::probe(ctx, ask)))),
        maybe(plan.target_groups.as_ref().map(|ask| ctx.bounded("the target group's health check", elb::probe(ctx, ask)))),
        maybe(plan.memory.as_ref().map(|ask| ctx.bounded("the service's memory use (Container Insights)", metrics::probe(ctx, ask)))),
        maybe(plan.subnets.as_ref().map(|ask| ctx.bounded("the subnets' free addresses", placement::subnets(ctx, ask)))),
        maybe(plan.instances.as_ref().map(|ask| ctx.bounded("the cluster's container instances", placement::instances(ctx, ask)))),
        maybe(plan.network.as_ref().map(|ask| ctx.bounded("the task's network path", network::probe(ctx, ask)))),
        maybe(plan.secrets.as_ref().map(|ask| ctx.bounded("the referenced secrets", secrets::probe(ctx, ask)))),
        maybe(plan.deployment.as_ref().map(|ask| ctx.bounded("the service's deployments", deployments::probe(ctx, ask)))),
        maybe(plan.hook.as_ref().map(|ask| ctx.bounded("the hook function's log", hooks::probe(ctx, ask)))),
        maybe(plan.previous.as_ref().map(|ask| ctx.bounded("the last revision that ran fine", changes::previous(ctx, ask)))),
    );
    let mut findings = Findings {
        ran: plan
            .probes()
            .iter()
            .map(|probe| probe.id().to_string())
            .collect(),
        ..Findings::default()
    };
    let gaps = &mut findings.gaps;
    findings.image = keep(image, gaps);
    findings.target_groups = keep(target_groups, gaps).unwrap_or_default();
    findings.memory = keep(memory, gaps);
    findings.subnets = keep(subnets, gaps).unwrap_or_default();
    findings.instances = keep(instances, gaps);
    findings.network = keep(network, gaps);
    if let Some(read) = keep(secrets, gaps) {
        findings.secrets = read.facts;
        gaps.extend(read.gaps);
    }
    findings.deployment = keep(deployment, gaps);
    findings.hook = keep(hook, gaps);
    findings.previous = keep(previous, gaps);
    findings
}

/// A probe's findings from the warm container's cache, or read and kept for a while.
///
/// A gap that the next read would find again is kept too (the role lacks the action, the data
/// or the resource is not there, the source cannot be read): a crash loop of thirty events asks
/// once, not thirty times. A gap that may pass (throttled, timed out, AWS unavailable) is not
/// kept, so the next event asks again.
pub(crate) async fn cached<T, F>(ctx: &Ctx<'_>, key: String, read: F) -> Probed<T>
where
    T: Serialize + serde::de::DeserializeOwned,
    F: Future<Output = Probed<T>>,
{
    if let Some(value) = ctx.caches.probes.get(&key) {
        if let Ok(answer) = serde_json::from_value::<Probed<T>>(value) {
            ctx.cache_hit();
            return answer;
        }
    }
    let answer = read.await;
    let lasting = match &answer {
        Ok(_) => true,
        Err(gap) => gap.kind.lasts(),
    };
    if lasting {
        if let Ok(json) = serde_json::to_value(&answer) {
            ctx.caches.probes.insert(&key, json);
        }
    }
    answer
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
}
