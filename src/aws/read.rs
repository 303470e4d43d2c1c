//! The plumbing every read shares: one read context ([`Ctx`]: the clients, the warm
//! container's caches, the limits, the deadline and the counters), what a read may take
//! ([`GatherConfig`]) and what reading cost ([`GatherStats`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::{gaps, Caches, Clients};
use crate::incident::Gap;

/// What to read. Defaults match the Lambda's environment defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatherConfig {
    /// Log lines to read from the failed container's stream (LOG_LINES).
    pub log_lines: i32,
    /// How far back the service's other stopped tasks count (SIBLING_WINDOW_MINUTES).
    pub sibling_window_minutes: u32,
}

impl Default for GatherConfig {
    fn default() -> Self {
        GatherConfig {
            log_lines: 50,
            sibling_window_minutes: 30,
        }
    }
}

/// What gathering cost, for the invocation's summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatherStats {
    /// AWS operations called (an operation's retries count once).
    pub aws_calls: usize,
    pub task_definition_cache_hits: usize,
    /// Facts that the budget cut off.
    pub timed_out: usize,
}

/// One gathering: the clients, the warm container's caches, the limits, the deadline and the
/// counters.
pub struct Ctx<'a> {
    pub(crate) clients: &'a Clients,
    pub(crate) caches: &'a Caches,
    pub(crate) config: &'a GatherConfig,
    budget: Duration,
    deadline: Instant,
    calls: AtomicUsize,
    cache_hits: AtomicUsize,
    timed_out: AtomicUsize,
}

impl<'a> Ctx<'a> {
    pub fn new(
        clients: &'a Clients,
        caches: &'a Caches,
        config: &'a GatherConfig,
        budget: Duration,
    ) -> Ctx<'a> {
        Ctx {
            clients,
            caches,
            config,
            budget,
            deadline: Instant::now() + budget,
            calls: AtomicUsize::new(0),
            cache_hits: AtomicUsize::new(0),
            timed_out: AtomicUsize::new(0),
        }
    }

    pub(crate) fn count_call(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs one read under what is left of the budget; running out is a "timed out" gap.
    pub(crate) async fn bounded<T>(
        &self,
        what: &str,
        read: impl std::future::Future<Output = Result<T, Gap>>,
    ) -> Result<T, Gap> {
        match tokio::time::timeout_at(self.deadline, read).await {
            Ok(result) => result,
            Err(_) => {
                self.timed_out.fetch_add(1, Ordering::Relaxed);
                Err(gaps::timed_out(what, self.budget))
            }
        }
    }

    pub fn stats(&self) -> GatherStats {
        GatherStats {
            aws_calls: self.calls.load(Ordering::Relaxed),
            task_definition_cache_hits: self.cache_hits.load(Ordering::Relaxed),
            timed_out: self.timed_out.load(Ordering::Relaxed),
        }
    }
}
