//! What the hook probe finds: the lifecycle hook function that failed a deployment, and its log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The hook function to read, and the stage it failed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookAsk {
    pub function_arn: String,
    pub lifecycle_stage: Option<String>,
    /// When the deployment failed (the event's time).
    pub at: Option<DateTime<Utc>>,
}

impl HookAsk {
    /// What a deployment's reason names: `… because TEST_TRAFFIC_SHIFT lifecycle hook(s)
    /// failed. Lifecycle hook target arn:aws:lambda:…:function:myHook returned FAILED status.`
    pub fn from_reason(reason: &str, at: Option<DateTime<Utc>>) -> Option<HookAsk> {
        let start = reason.find("arn:aws")?;
        let arn: String = reason[start..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != ',' && *c != '\'')
            .collect();
        let arn = arn.trim_end_matches('.').to_string();
        if !arn.contains(":lambda:") || !arn.contains(":function:") {
            return None;
        }
        let lifecycle_stage = reason
            .split_whitespace()
            .find(|word| {
                word.len() > 6
                    && word.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                    && word.contains('_')
            })
            .map(str::to_string);
        Some(HookAsk {
            function_arn: arn,
            lifecycle_stage,
            at,
        })
    }

    /// `myHook` from `arn:aws:lambda:REGION:ACCOUNT:function:myHook[:alias]`.
    pub fn function_name(&self) -> &str {
        self.function_arn
            .split(":function:")
            .nth(1)
            .and_then(|rest| rest.split(':').next())
            .unwrap_or(&self.function_arn)
    }

    pub fn log_group(&self) -> String {
        format!("/aws/lambda/{}", self.function_name())
    }
}

/// What the hook function logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HookLog {
    pub function: String,
    pub function_arn: String,
    pub lifecycle_stage: Option<String>,
    pub log_group: String,
    /// Its newest error lines, oldest first, scrubbed.
    pub lines: Vec<String>,
}
