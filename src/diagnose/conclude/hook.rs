//! The hook function that failed a deployment, as its own log says it.

use super::{Conclusion, Scene};
use crate::facts::hooks::HookLog;

pub(super) fn conclude(c: &mut Conclusion, _scene: &Scene, hook: &HookLog) {
    let source = format!("hook function {} ({})", hook.function, hook.log_group);
    let stage = hook
        .lifecycle_stage
        .as_deref()
        .unwrap_or("its lifecycle stage");
    match hook.lines.last() {
        Some(last) => {
            for line in &hook.lines {
                c.verified(source.clone(), line.clone(),
                    crate::iam::LOGS_FILTER_LOG_EVENTS,
                );
            }
            c.headline(format!("Hook {} failed at {stage}", hook.function));
            c.say(format!(
                "Verified in its log: the hook function {} failed the deployment at {stage}: '{last}'.",
                hook.function
            ));
        }
        None => c.verified(
            source,
            format!("no error line logged in the hour before the deployment failed at {stage}: the function returned FAILED (or no hookStatus) without logging why"),
            crate::iam::LOGS_FILTER_LOG_EVENTS,
        ),
    }
    c.fix(
        format!(
            "Read the hook function {}'s log, fix the check it makes, then deploy again",
            hook.function
        ),
        Some(format!(
            "aws logs tail {} --since 1h --region {}",
            hook.log_group,
            crate::arn::region_of(&hook.function_arn).unwrap_or("us-east-1")
        )),
    );
}
