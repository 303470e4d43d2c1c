//! The investigation: the checks an on-call engineer would type next, made before the alert goes
//! out. `plan` (pure) picks the probes the hypothesis needs and what each must look at; `run`
//! runs them concurrently under the gather budget (the only I/O here). Each probe's failure is a
//! gap naming the IAM action to grant; the alert goes out whatever the probes found.
//!
//! Two waves: what the event and the first reading say is probed while the rest is gathered
//! (the image, the target group, the memory curve, the deployment, the subnets' routes and the
//! previous revision); what needs the task definition or the service (secrets, security groups,
//! placement) after it. The first alert's critical path grows by about one round trip.

pub mod capacity;
pub mod changes;
pub mod deployments;
pub mod ecr;
pub mod elb;
pub mod hooks;
pub mod memory;
pub mod network;
pub mod plan;
pub mod secrets;

use std::future::Future;

use crate::aws::Ctx;
use crate::facts::{Answer, Investigation};
use crate::incident::Gap;

pub use plan::{plan_early, plan_late, Plan};

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

/// `run`, from the reads facts/probes.rs declares: each read the plan asks for, concurrently.
macro_rules! run_probes {
    ($($(#[$doc:meta])* $name:ident = $id:literal, for $purpose:literal, reads [$($action:ident),* $(,)?],
        finds [$($(#[$field_doc:meta])* $field:ident: $ask:ty => $found:ty, by $read:path, $what:literal;)+];)*) => {
        /// Runs a plan's probes concurrently, each under what is left of the gather budget.
        pub async fn run(ctx: &Ctx<'_>, plan: &Plan) -> Investigation {
            let ($($($field,)+)*) = tokio::join!($($(
                maybe(plan.$field.as_ref().map(|ask| ctx.bounded($what, $read(ctx, ask)))),
            )+)*);
            let mut findings = Investigation {
                ran: plan
                    .probes()
                    .iter()
                    .map(|probe| probe.id().to_string())
                    .collect(),
                ..Investigation::default()
            };
            let gaps = &mut findings.gaps;
            $($(
                findings.$field = keep($field, gaps)
                    .map(|answer| answer.into_slot(gaps))
                    .unwrap_or_default();
            )+)*
            findings
        }
    };
}

crate::facts::probes::declared_probes!(run_probes);

/// A probe's findings from the warm container's cache, or read and kept for a while.
///
/// A gap that the next read would find again is kept too (the role lacks the action, the data
/// or the resource is not there, the source cannot be read): a crash loop of thirty events asks
/// once, not thirty times. A gap that may pass (throttled, timed out, AWS unavailable) is not
/// kept, so the next event asks again.
pub(crate) async fn cached<T, F>(ctx: &Ctx<'_>, key: String, read: F) -> Probed<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
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
