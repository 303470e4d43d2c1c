//! What the capacity probe finds: the subnets' free addresses and the cluster's instances.

use serde::{Deserialize, Serialize};

/// Under this many free addresses a subnet is called nearly full.
pub const FEW_IPS: i32 = 5;

/// Which subnets to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetAsk {
    pub subnets: Vec<String>,
}

/// One subnet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubnetFacts {
    pub id: String,
    pub vpc_id: Option<String>,
    pub availability_zone: Option<String>,
    pub cidr: Option<String>,
    pub available_ips: Option<i32>,
    pub map_public_ip: Option<bool>,
}

/// The cluster's capacity against one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceAsk {
    pub cluster: String,
    /// CPU units and MiB the task needs, when the task definition was read.
    pub cpu: Option<i32>,
    pub memory: Option<i32>,
    /// Otherwise the service's task definition, to read them from (cached).
    pub task_definition: Option<String>,
}

/// What the container instances have left.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InstancesFacts {
    pub cluster: String,
    /// ACTIVE instances registered.
    pub active: usize,
    /// Of them, with a connected agent.
    pub connected: usize,
    /// The most CPU units and MiB any one connected instance has left.
    pub most_cpu_left: Option<i32>,
    pub most_memory_left: Option<i32>,
    /// Connected instances with room for the task.
    pub fitting: usize,
    pub needed_cpu: Option<i32>,
    pub needed_memory: Option<i32>,
    pub verified_by: Vec<String>,
}
