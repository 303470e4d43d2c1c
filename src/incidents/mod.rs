//! Flood control: one incident per root cause of a service and deployment, one alert for it,
//! updates in its thread, and no alert lost.
//!
//! - [`scope`]: what "the same incident" is (also the chat thread and the history key).
//! - [`decide`]: the policy, one pure function of (state, occurrence, event time).
//! - [`storm`]: many services of a cluster failing the same way become one alert.
//! - [`store`]: DynamoDB or this container's memory; they load and save, nothing more.
//! - [`message`]: what a decision makes of the report (update, follow-up, resolved, storm).
//!
//! [`FloodControl`] runs the policy on a store: load, decide, save over the version it read
//! (re-deciding when another invocation wrote first), and confirm a message once it is sent.

pub mod decide;
pub mod history;
pub mod message;
pub mod scope;
pub mod store;
pub mod storm;

use std::time::Duration;

pub use decide::{
    Clock, Decision, Diagnosis, IncidentView, MessageKind, Occurrence, Policy, ScopeState,
};
pub use scope::{incident_ref, placement, thread_id, Placement, Scope};
pub use store::{MemoryStore, Saved, Store, StoreError};
pub use storm::{ClusterState, Storm, StormDecision, StormPolicy};

/// Concurrent writers re-read and re-decide at most this many times (with a growing, jittered
/// pause), then the last decision stands unsaved (an alert sent twice is better than one lost).
const CONFLICT_ATTEMPTS: usize = 12;

/// A pause after losing a conditional write: a few milliseconds, growing with the attempt and
/// jittered so that concurrent losers do not collide again in step.
async fn back_off(attempt: usize) {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |now| now.subsec_nanos() % 7_000_000);
    let pause = 2_000_000 * attempt as u64 + u64::from(jitter);
    tokio::time::sleep(Duration::from_nanos(pause.min(60_000_000))).await;
}

/// Flood control settings (DEDUPE_TABLE, DEDUPE_WINDOW_MINUTES, STORM_SERVICES,
/// STORM_WINDOW_MINUTES).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupeConfig {
    /// The DynamoDB table (partition key `pk`, sort key `sk`, both strings; TTL on
    /// `expires_at`). None: this execution environment's memory.
    pub table: Option<String>,
    /// Zero turns flood control off (every failure alerts; redeliveries are still dropped).
    pub window: Duration,
    pub storm: StormPolicy,
}

impl Default for DedupeConfig {
    fn default() -> Self {
        DedupeConfig {
            table: None,
            window: Policy::default().window,
            storm: StormPolicy::default(),
        }
    }
}

impl DedupeConfig {
    /// The policy these settings make. With flood control off (a zero window) every failure is
    /// its own message, and a redelivered event id is still recognised.
    pub fn policy(&self) -> Policy {
        Policy {
            window: self.window,
            min_gap: Policy::default().min_gap.min(self.window),
            ..Policy::default()
        }
    }
}

/// A decision that was recorded, with the state it wrote (for the confirmation).
#[derive(Debug, Clone)]
pub struct Recorded {
    pub decision: Decision,
    /// The version written (None: nothing was written).
    pub version: Option<i64>,
    pub state: ScopeState,
}

/// The policy on a store, for one invocation.
pub struct FloodControl<'a> {
    pub store: &'a Store,
    pub policy: Policy,
    pub storm: StormPolicy,
}

fn scope_key(scope: &Scope) -> String {
    format!("SCOPE#{}", scope.key())
}

fn cluster_key(scope: &Scope) -> String {
    format!("CLUSTER#{}", scope.cluster_key())
}

impl FloodControl<'_> {
    /// Decides what to do with one occurrence and records it. `Investigate`, `Duplicate` and
    /// `Nothing` write nothing.
    pub async fn record(
        &self,
        scope: &Scope,
        event_id: &str,
        occurrence: &Occurrence,
        clock: Clock,
    ) -> Recorded {
        self.record_if(scope, event_id, occurrence, clock, |_| true)
            .await
    }

    /// Before anything is read: settles a redelivery or a repeat (writing only the count);
    /// anything else is decided again, in full, once the failure is diagnosed.
    pub async fn recognise(
        &self,
        scope: &Scope,
        event_id: &str,
        occurrence: &Occurrence,
        clock: Clock,
    ) -> Recorded {
        self.record_if(scope, event_id, occurrence, clock, |decision| {
            matches!(decision, Decision::Counted { .. })
        })
        .await
    }

    async fn record_if(
        &self,
        scope: &Scope,
        event_id: &str,
        occurrence: &Occurrence,
        clock: Clock,
        keep: fn(&Decision) -> bool,
    ) -> Recorded {
        let key = scope_key(scope);
        let mut last = None;
        for attempt in 0..CONFLICT_ATTEMPTS {
            if attempt > 0 {
                back_off(attempt).await;
            }
            let loaded = self.store.load::<ScopeState>(&key).await;
            let (decision, state) =
                decide::decide(&loaded.value, event_id, occurrence, clock, &self.policy);
            if !keep(&decision)
                || matches!(
                    decision,
                    Decision::Investigate | Decision::Duplicate | Decision::Nothing
                )
            {
                return Recorded {
                    decision,
                    version: None,
                    state,
                };
            }
            match self
                .store
                .save(&key, loaded.version, &state, clock.now_ms)
                .await
            {
                Saved::Written(version) => {
                    return Recorded {
                        decision,
                        version: Some(version),
                        state,
                    }
                }
                Saved::Conflict => last = Some((decision, state)),
            }
        }
        let (decision, state) = last.expect("at least one attempt");
        tracing::warn!(scope = %scope.key(), "flood control lost every conditional write to concurrent invocations: deciding without saving");
        Recorded {
            decision,
            version: None,
            state,
        }
    }

    /// The message decided by `event_id` went out: its pending mark is cleared. Tries the write
    /// over the version just recorded first (one call), then re-reads on a conflict.
    pub async fn confirm(&self, scope: &Scope, event_id: &str, recorded: &Recorded, now_ms: i64) {
        let key = scope_key(scope);
        if let Some(version) = recorded.version {
            let state = decide::confirm(&recorded.state, event_id);
            if self.store.save(&key, version, &state, now_ms).await != Saved::Conflict {
                return;
            }
        }
        for attempt in 0..CONFLICT_ATTEMPTS {
            back_off(attempt).await;
            let loaded = self.store.load::<ScopeState>(&key).await;
            let state = decide::confirm(&loaded.value, event_id);
            if state == loaded.value {
                return;
            }
            if self.store.save(&key, loaded.version, &state, now_ms).await != Saved::Conflict {
                return;
            }
        }
    }

    /// The message decided by `event_id` could not be published: give it back, so Lambda's
    /// retry publishes it at once.
    pub async fn release(&self, scope: &Scope, event_id: &str, now_ms: i64) {
        let key = scope_key(scope);
        for attempt in 0..CONFLICT_ATTEMPTS {
            if attempt > 0 {
                back_off(attempt).await;
            }
            let loaded = self.store.load::<ScopeState>(&key).await;
            let state = decide::release(&loaded.value, event_id);
            if state == loaded.value
                || self.store.save(&key, loaded.version, &state, now_ms).await != Saved::Conflict
            {
                return;
            }
        }
    }

    /// Whether a new incident of `category` in `scope` is part of a storm of its cluster.
    pub async fn storm(
        &self,
        scope: &Scope,
        category: &str,
        event_id: &str,
        clock: Clock,
    ) -> StormDecision {
        if self.storm.services < 2 {
            return StormDecision::Alone;
        }
        let key = cluster_key(scope);
        let mut decided = StormDecision::Alone;
        for attempt in 0..CONFLICT_ATTEMPTS {
            if attempt > 0 {
                back_off(attempt).await;
            }
            let loaded = self.store.load::<ClusterState>(&key).await;
            let (decision, state) = storm::storm(
                &loaded.value,
                &scope.subject,
                category,
                event_id,
                clock,
                &self.storm,
            );
            decided = decision;
            if state == loaded.value {
                break;
            }
            if self
                .store
                .save(&key, loaded.version, &state, clock.now_ms)
                .await
                != Saved::Conflict
            {
                break;
            }
        }
        decided
    }
}
