//! What the load-balancer probe finds: the target groups, their health checks and targets.

use serde::{Deserialize, Serialize};

/// The service's target groups, and what the task should answer on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroupAsk {
    pub target_groups: Vec<Registration>,
    /// The stopped task's private IP (awsvpc): its target, when still registered.
    pub task_ip: Option<String>,
}

/// One load balancer entry of the service: which container and port a target group sends to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub arn: String,
    pub container: Option<String>,
    pub container_port: Option<i32>,
}

/// A target group's health check and its unhealthy targets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TargetGroupFacts {
    pub arn: String,
    pub name: String,
    pub protocol: Option<String>,
    pub port: Option<i32>,
    pub target_type: Option<String>,
    pub check: HealthCheckFacts,
    /// The service's container and port for this target group.
    pub container: Option<String>,
    pub container_port: Option<i32>,
    /// Targets that are not healthy (the stopped task's first), at most five.
    pub targets: Vec<TargetFacts>,
    pub healthy: usize,
    pub verified_by: Vec<String>,
}

/// A target group's health check settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthCheckFacts {
    pub enabled: Option<bool>,
    pub protocol: Option<String>,
    /// "traffic-port" or a port number.
    pub port: Option<String>,
    pub path: Option<String>,
    /// The HTTP codes that count as healthy ("200", "200-399").
    pub matcher: Option<String>,
    pub interval: Option<i32>,
    pub timeout: Option<i32>,
    pub healthy_threshold: Option<i32>,
    pub unhealthy_threshold: Option<i32>,
}

impl HealthCheckFacts {
    /// "HTTP GET /health on traffic-port expecting 200, every 30 s (timeout 5 s, 5 to pass, 2 to fail)".
    pub fn describe(&self) -> String {
        let mut text = self.protocol.clone().unwrap_or_else(|| "HTTP".into());
        if let Some(path) = &self.path {
            text.push_str(&format!(" GET {path}"));
        }
        text.push_str(&format!(
            " on {}",
            match self.port.as_deref() {
                None | Some("traffic-port") => "the traffic port".to_string(),
                Some(port) => format!("port {port}"),
            }
        ));
        if let Some(matcher) = &self.matcher {
            text.push_str(&format!(" expecting {matcher}"));
        }
        if let Some(interval) = self.interval {
            text.push_str(&format!(", every {interval} s"));
        }
        let mut details = Vec::new();
        if let Some(timeout) = self.timeout {
            details.push(format!("timeout {timeout} s"));
        }
        if let Some(healthy) = self.healthy_threshold {
            details.push(format!("{healthy} to pass"));
        }
        if let Some(unhealthy) = self.unhealthy_threshold {
            details.push(format!("{unhealthy} to fail"));
        }
        if !details.is_empty() {
            text.push_str(&format!(" ({})", details.join(", ")));
        }
        text
    }

    /// Seconds a new target needs to pass: interval × healthy threshold.
    pub fn seconds_to_healthy(&self) -> Option<i32> {
        Some(self.interval? * self.healthy_threshold?)
    }

    /// The explicit health-check port, when not the traffic port.
    pub fn explicit_port(&self) -> Option<i32> {
        self.port.as_deref().and_then(|port| port.parse().ok())
    }
}

/// One target's health.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TargetFacts {
    pub id: String,
    pub port: Option<i32>,
    pub state: String,
    /// Target.ResponseCodeMismatch, Target.Timeout, Target.FailedHealthChecks …
    pub reason: Option<String>,
    /// "Health checks failed with these codes: [404]".
    pub description: Option<String>,
    /// The stopped task's own target.
    pub this_task: bool,
}

/// The HTTP codes a failed check saw, from "Health checks failed with these codes: [404]".
pub fn failed_codes(description: &str) -> Vec<u16> {
    let Some(open) = description.find('[') else {
        return Vec::new();
    };
    let close = description[open..]
        .find(']')
        .map_or(description.len(), |at| open + at);
    description[open + 1..close]
        .split(',')
        .filter_map(|code| code.trim().parse().ok())
        .collect()
}
