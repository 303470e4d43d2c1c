//! What changed since the last revision that ran fine: `previous` reads that revision (task
//! definitions never change, so it comes from the cache on a repeat); `facts::changes::diff`
//! lists the differences.

use super::Probed;
use crate::arn::last_segment;
use crate::aws::Ctx;
use crate::facts::changes::{Previous, PreviousAsk};

/// Reads the revision to compare with (and the failing one, when asked), concurrently.
pub async fn previous(ctx: &Ctx<'_>, ask: &PreviousAsk) -> Probed<Previous> {
    let read = |reference: &str| {
        let what = format!("the revision {}", last_segment(reference));
        let reference = reference.to_string();
        async move {
            ctx.bounded(&what, crate::gather::ecs::task_definition(ctx, &reference))
                .await
        }
    };
    let (task_definition, failing) = tokio::join!(
        read(&ask.reference),
        super::maybe(ask.failing.as_deref().map(read))
    );
    Ok(Previous {
        task_definition: task_definition?,
        basis: ask.basis.clone(),
        failing: failing.transpose()?,
    })
}
