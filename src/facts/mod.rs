//! The facts the probes find, as plain data: `investigate/` fills them (I/O), `diagnose`
//! concludes from them (pure). No AWS SDK, no clock, no I/O here.

pub mod capacity;
pub mod changes;
pub mod deployments;
pub mod ecr;
pub mod elb;
pub mod hooks;
pub mod memory;
pub mod network;
pub mod probes;
pub mod secrets;

use serde::{Deserialize, Serialize};

use crate::incident::Gap;

pub use probes::{Probe, Probes};

/// Everything the probes found, and what they could not see.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Investigation {
    pub image: Option<ecr::ImageFacts>,
    pub target_groups: Vec<elb::TargetGroupFacts>,
    pub memory: Option<memory::MemoryFacts>,
    pub subnets: Vec<capacity::SubnetFacts>,
    pub instances: Option<capacity::InstancesFacts>,
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

impl Investigation {
    /// Adds what a later wave found.
    pub fn merge(&mut self, later: Investigation) {
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
