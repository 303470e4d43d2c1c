//! One examination of one event, the way the function and the command line both make it:
//! gather every fact with the probes the first reading calls for alongside (and the service's
//! routing tags), diagnose, probe what the diagnosis calls for, and conclude what was verified.
//! All of it within one budget; what cannot be read is a gap, and a report always comes out.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::aws::{Caches, Clients};
use crate::aws::{Ctx, GatherConfig, GatherStats};
use crate::diagnose;
use crate::diagnose::conclude;
use crate::diagnose::failed_container;
use crate::event::EcsEvent;
use crate::facts::Probes;
use crate::gather::{gather_in, tags};
use crate::incident::Gap;
use crate::investigate;
use crate::outcome::Timer;
use crate::report::Report;

/// What to read, and how long it may take.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    pub gather: &'a GatherConfig,
    pub probes: &'a Probes,
    /// ROUTING_TAGS: the service's tags that become the report's `routing`.
    pub routing_tags: &'a [String],
    pub budget: Duration,
}

/// The report, and what making it cost.
#[derive(Debug, Clone)]
pub struct Examined {
    pub report: Report,
    pub stats: GatherStats,
    /// The probes that ran, by id.
    pub probes: Vec<String>,
    /// Milliseconds: the gathering (with the early probes), the diagnosis, the late probes and
    /// the conclusions.
    pub gather_ms: f64,
    pub diagnose_ms: f64,
    pub investigate_ms: f64,
}

/// Examines `event` with the clients of its account; `quick` is what the event alone says.
pub async fn examine(
    clients: &Clients,
    caches: &Caches,
    settings: Settings<'_>,
    event: &EcsEvent,
    quick: &Report,
) -> Examined {
    let phase = Timer::start();
    let ctx = Ctx::new(clients, caches, settings.gather, settings.budget);
    let early = investigate::plan_early(event, quick, settings.probes);
    // Boxed: each future is large, and the caller's must stay small on the stack.
    let (incident, mut findings, routing) = tokio::join!(
        Box::pin(gather_in(&ctx, event.clone(), failed_container)),
        Box::pin(investigate::run(&ctx, &early)),
        Box::pin(routing(&ctx, event, settings.routing_tags)),
    );
    let gather_ms = phase.ms();
    let phase = Timer::start();
    let report = diagnose(&incident);
    let diagnose_ms = phase.ms();
    let phase = Timer::start();
    let late = investigate::plan_late(&incident, &report, &findings, settings.probes);
    if !late.is_empty() {
        findings.merge(Box::pin(investigate::run(&ctx, &late)).await);
    }
    let mut report = conclude(report, &incident, &findings);
    match routing {
        Ok(tags) => report.routing = tags,
        Err(gap) => report.gaps.push(gap),
    }
    Examined {
        report,
        stats: ctx.stats(),
        probes: findings.ran,
        gather_ms,
        diagnose_ms,
        investigate_ms: phase.ms(),
    }
}

/// The routing tags of the event's service (or task family); none asked, none read.
pub async fn routing(
    ctx: &Ctx<'_>,
    event: &EcsEvent,
    wanted: &[String],
) -> Result<BTreeMap<String, String>, Gap> {
    let Some(subject) = tags::subject(event).filter(|_| !wanted.is_empty()) else {
        return Ok(BTreeMap::new());
    };
    ctx.bounded(
        "the service's tags (routing)",
        tags::routing(ctx, &subject, wanted),
    )
    .await
}
