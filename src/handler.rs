//! The Lambda handler, as the house diagram reads: parse → what the event alone says → a repeat
//! of an open incident is counted before anything is read → gather (the member account's role
//! included, under the budget) → diagnose → flood control decides → render → publish → confirm.
//! One JSON summary line per invocation.
//!
//! What fails the invocation (so Lambda retries it, then the on-failure destination keeps it):
//! an event that cannot be read, and a message that could not be published. A message that
//! was decided stays pending in the incident's state, so the retry publishes it; flood control
//! that cannot reach its table decides on this container's memory instead.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use lambda_runtime::LambdaEvent;
use serde_json::Value;

use crate::aws::{gaps, GatherStats};
use crate::aws::{Accounts, Caches, Clients};
use crate::config::Config;
use crate::diagnose;
use crate::event::{parse_value, EcsEvent};
use crate::examine::{examine, Settings};
use crate::incident::{Gap, GapKind, Incident};
use crate::incidents::{
    message, placement, Clock, Decision, Diagnosis, FloodControl, MemoryStore, MessageKind,
    Occurrence, Placement, Recorded, Store, StormDecision,
};
use crate::metrics::Invocation;
use crate::notify;
pub use crate::outcome::{HandlerError, Outcome, OutcomeKind};
use crate::outcome::{Step, Summary, Timer, Timings};
use crate::render::render;
use crate::report::{Category, Report};
use tracing::Instrument;

/// Where processing time comes from: the system clock, or a test's.
#[derive(Clone, Default)]
pub struct Now(Option<Arc<dyn Fn() -> i64 + Send + Sync>>);

impl Now {
    /// A clock of the caller's (tests play a day of events in seconds).
    pub fn from_fn(now_ms: impl Fn() -> i64 + Send + Sync + 'static) -> Now {
        Now(Some(Arc::new(now_ms)))
    }

    /// Milliseconds since the epoch.
    pub fn ms(&self) -> i64 {
        match &self.0 {
            Some(now) => now(),
            None => chrono::Utc::now().timestamp_millis(),
        }
    }
}

impl std::fmt::Debug for Now {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Now(test)"
        } else {
            "Now(system)"
        })
    }
}

/// What the function keeps for every event: settings, clients, and the warm container's state.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    /// The function's own account: publishing, flood control, and its own failures.
    pub clients: Clients,
    /// Member accounts, read through their role.
    pub accounts: Accounts,
    /// Facts a warm container remembers (task definitions, stopped tasks, probe findings).
    pub caches: Caches,
    /// Flood control's state in this container (without DEDUPE_TABLE, or when it fails).
    pub memory: Arc<MemoryStore>,
    /// Processing time (the system clock but in tests).
    pub now: Now,
}

impl App {
    /// Loads the SDK configuration for `config.aws` and builds the (lazy) clients.
    pub async fn new(config: Config) -> App {
        let sdk_config = crate::aws::environment_config(&config.aws);
        let clients = Clients::from_conf(&sdk_config);
        // Built during the init phase, as AWS advises for SDK clients: the three every event
        // uses (and the HTTP client under them). The probes' clients stay lazy.
        clients.warm_up();
        App::with_clients(config, clients)
    }

    /// An App around clients built elsewhere (an emulator's, or mocks in tests).
    pub fn with_clients(config: Config, clients: Clients) -> App {
        App {
            accounts: Accounts::new(clients.clone(), config.accounts.clone()),
            clients,
            caches: Caches::default(),
            memory: Arc::default(),
            now: Now::default(),
            config,
        }
    }
}

/// The Lambda entry point.
pub async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Outcome, HandlerError> {
    let deadline = (event.context.deadline > 0).then(|| event.context.deadline());
    let invocation = Invocation::from_context(&event.context);
    handle_invocation(app, event.payload, deadline, invocation).await
}

/// The gather budget: what is left before the deadline, less the publish reserve, capped.
pub fn gather_budget(config: &Config, deadline: Option<SystemTime>) -> Duration {
    let Some(deadline) = deadline else {
        return config.gather_budget_cap;
    };
    match deadline.duration_since(SystemTime::now()) {
        Ok(left) => left
            .saturating_sub(config.publish_reserve)
            .min(config.gather_budget_cap),
        // Lambda stops a function at its deadline, so one already past when the event arrives
        // comes from a local emulator that sends the invoke time: gather within the cap.
        Err(late) => {
            tracing::warn!(
                late_ms = late.duration().as_millis() as u64,
                "the invocation's deadline had passed when it arrived (a local emulator?): gathering within GATHER_BUDGET_MS"
            );
            config.gather_budget_cap
        }
    }
}

/// Handles one event; `deadline` is the Lambda's (None: only GATHER_BUDGET_MS bounds gathering).
pub async fn handle_value(
    app: &App,
    payload: Value,
    deadline: Option<SystemTime>,
) -> Result<Outcome, HandlerError> {
    handle_invocation(app, payload, deadline, Invocation::default()).await
}

/// [`handle_value`] for one Lambda invocation (its request id, trace id, cold start).
pub async fn handle_invocation(
    app: &App,
    payload: Value,
    deadline: Option<SystemTime>,
    invocation: Invocation,
) -> Result<Outcome, HandlerError> {
    app.accounts.learn_home_account(&invocation.function_arn);
    // Every line logged while it runs carries the invocation's keys (crate::logging).
    let span = crate::logging::invocation_span(&invocation);
    async move {
        let mut run = Run::new(app, deadline, invocation);
        let result = run.process(payload).await.map(|_| ());
        run.finish();
        run.summary(&result);
        result.map(|()| run.outcome.clone())
    }
    .instrument(span)
    .await
}

/// One invocation: what it saw and did, for the steps and the summary line.
struct Run<'a> {
    app: &'a App,
    deadline: Option<SystemTime>,
    /// The Lambda invocation, in Powertools' words (for the summary and metric lines).
    invocation: Invocation,
    /// The history could not keep the published report (a warning, never a lost alert).
    history_failed: bool,
    stream_failed: bool,
    started: Timer,
    store: Store,
    event: Option<EcsEvent>,
    report: Option<Report>,
    stats: GatherStats,
    /// The probes that ran, by id.
    probes: Vec<String>,
    timings: Timings,
    budget_ms: u128,
    outcome: Outcome,
}

impl<'a> Run<'a> {
    fn new(app: &'a App, deadline: Option<SystemTime>, invocation: Invocation) -> Run<'a> {
        let store = match &app.config.dedupe.table {
            Some(table) => {
                Store::dynamodb(app.clients.dynamodb().clone(), table, app.memory.clone())
            }
            None => Store::memory(app.memory.clone()),
        };
        Run {
            app,
            deadline,
            invocation,
            history_failed: false,
            stream_failed: false,
            started: Timer::start(),
            store,
            event: None,
            report: None,
            stats: GatherStats::default(),
            probes: Vec::new(),
            timings: Timings::default(),
            budget_ms: 0,
            outcome: Outcome::new(OutcomeKind::Published),
        }
    }

    /// The steps, in order.
    async fn process(&mut self, payload: Value) -> Result<Outcome, HandlerError> {
        let event = self.parse(payload)?;
        let quick = self.quick_diagnosis(&event);
        let placement = placement(&event);
        let recovery = matches!(
            quick.category,
            Category::SteadyState | Category::DeploymentCompleted
        );
        if recovery {
            return self.recover(&event, quick, placement).await;
        }
        if !quick.notify && !self.app.config.notify_benign {
            return Ok(self.settle(OutcomeKind::Benign, quick));
        }
        if let Some(placement) = placement.as_ref().filter(|_| quick.notify) {
            if let Some(done) = self.recognise_repeat(&event, &quick, placement).await {
                return Ok(done);
            }
        }
        let report = self.diagnose_fully(&event, quick.clone()).await;
        if !report.notify && !self.app.config.notify_benign {
            return Ok(self.settle(OutcomeKind::Benign, report));
        }
        if report.notify && report.severity < self.app.config.min_severity {
            return Ok(self.settle(OutcomeKind::BelowMinSeverity, report));
        }
        match placement.filter(|_| report.notify) {
            Some(placement) => self.alert(&event, &quick, report, &placement).await,
            None => {
                self.publish(&report).await?;
                Ok(self.outcome.clone())
            }
        }
    }

    /// Parses the event. One that cannot be read fails the invocation: it is logged scrubbed,
    /// counted, and kept by the on-failure destination.
    fn parse(&mut self, payload: Value) -> Result<EcsEvent, HandlerError> {
        let phase = Timer::start();
        let parsed = parse_value(payload.clone());
        self.timings.record(Step::Parse, phase);
        match parsed {
            Ok(event) => {
                self.outcome.event_id = event.id.clone();
                self.event = Some(event.clone());
                Ok(event)
            }
            Err(error) => {
                // The event's outline (keys, types, safe fields' values), never its values: an
                // override's environment must not reach the log.
                let outline = crate::redact::structure::outline(&payload).to_string();
                let outline = crate::cut::truncate(&outline, 8 * 1024);
                tracing::error!(error = %error, unreadable_event = %outline,
                    "ecs-doctor cannot read this event: it fails the invocation so the failure queue keeps it");
                Err(HandlerError::Unreadable(error))
            }
        }
    }

    /// What the event alone says: benign stops, recoveries and repeats are decided from it.
    fn quick_diagnosis(&mut self, event: &EcsEvent) -> Report {
        let phase = Timer::start();
        let quick = diagnose(&Incident::from_event(event.clone()));
        self.timings.record(Step::Diagnose, phase);
        quick
    }

    fn event_id(&self, event: &EcsEvent) -> String {
        event
            .id
            .clone()
            .unwrap_or_else(|| format!("no-id-{}", self.app.now.ms()))
    }

    fn clock(&self, event: &EcsEvent) -> Clock {
        Clock::new(
            event.time.map(|time| time.timestamp_millis()),
            self.app.now.ms(),
        )
    }

    fn flood(&self) -> FloodControl<'_> {
        FloodControl {
            store: &self.store,
            policy: self.app.config.dedupe.policy(),
            storm: self.app.config.dedupe.storm.clone(),
        }
    }

    /// Ends the invocation without a message.
    fn settle(&mut self, kind: OutcomeKind, report: Report) -> Outcome {
        self.outcome.outcome = kind;
        self.outcome.category = Some(report.category.id().to_string());
        self.outcome.severity = Some(report.severity.id().to_string());
        self.report = Some(report);
        self.outcome.clone()
    }

    /// A service that recovered closes its open incidents: one short "Resolved" message.
    async fn recover(
        &mut self,
        event: &EcsEvent,
        quick: Report,
        placement: Option<Placement>,
    ) -> Result<Outcome, HandlerError> {
        let notify_benign = self.app.config.notify_benign;
        let Some(placement) = placement else {
            return self.benign_or_published(quick, notify_benign).await;
        };
        let phase = Timer::start();
        let event_id = self.event_id(event);
        let recorded = self
            .flood()
            .record(
                &placement.scope,
                &event_id,
                &Occurrence::Recovery,
                self.clock(event),
            )
            .await;
        self.timings.record(Step::Dedupe, phase);
        self.outcome.incident = Some(recorded.decision.id().to_string());
        match &recorded.decision {
            Decision::Send { incidents, .. } => {
                let mut report = message::resolved(quick, &placement.scope, incidents);
                self.route(event, &mut report).await;
                self.send(&report, &placement, &event_id, &recorded).await
            }
            Decision::Duplicate => Ok(self.settle(OutcomeKind::Duplicate, quick)),
            Decision::Counted { why, .. } => {
                self.outcome.add_note(*why);
                Ok(self.settle(OutcomeKind::Counted, quick))
            }
            _ => self.benign_or_published(quick, notify_benign).await,
        }
    }

    async fn benign_or_published(
        &mut self,
        report: Report,
        publish: bool,
    ) -> Result<Outcome, HandlerError> {
        if !publish {
            return Ok(self.settle(OutcomeKind::Benign, report));
        }
        self.publish(&report).await?;
        Ok(self.outcome.clone())
    }

    /// Before anything is read: a redelivery, or a repeat of an open incident's first reading,
    /// is settled here, and a crash loop costs no reads.
    async fn recognise_repeat(
        &mut self,
        event: &EcsEvent,
        quick: &Report,
        placement: &Placement,
    ) -> Option<Outcome> {
        let phase = Timer::start();
        let occurrence = failure(placement, quick, quick, false);
        let event_id = self.event_id(event);
        let recorded = self
            .flood()
            .recognise(&placement.scope, &event_id, &occurrence, self.clock(event))
            .await;
        self.timings.record(Step::Dedupe, phase);
        match recorded.decision {
            Decision::Duplicate => {
                self.outcome.incident = Some("duplicate".into());
                self.outcome.add_note("this event id was already handled");
                Some(self.settle(OutcomeKind::Duplicate, quick.clone()))
            }
            Decision::Counted { incident, why } => {
                self.outcome.incident = Some("counted".into());
                self.outcome.incident_id =
                    Some(format!("{}/{}", placement.scope.key(), incident.id));
                self.outcome.add_note(format!(
                    "folded into the open incident before any read: {why} ({} occurrences so far)",
                    incident.occurrences
                ));
                let mut report = quick.clone();
                report.category =
                    Category::from_id(&incident.cause.category).unwrap_or(report.category);
                Some(self.settle(OutcomeKind::Counted, report))
            }
            _ => None,
        }
    }

    /// Gathers (the member account's role included, within the budget) with the probes the
    /// first reading calls for alongside, diagnoses, probes what the diagnosis calls for, and
    /// concludes what was verified.
    async fn diagnose_fully(&mut self, event: &EcsEvent, quick: Report) -> Report {
        if !quick.notify {
            return quick;
        }
        let phase = Timer::start();
        let budget = gather_budget(&self.app.config, self.deadline);
        self.budget_ms = budget.as_millis();
        let until = tokio::time::Instant::now() + budget;
        let account = tokio::time::timeout_at(until, self.app.accounts.for_event(event)).await;
        let clients = match account {
            Ok(Ok(clients)) => clients,
            Ok(Err(gap)) => return self.diagnose_without(event, gap, phase),
            Err(_) => {
                let gap = gaps::timed_out("the member account's role", budget);
                return self.diagnose_without(event, gap, phase);
            }
        };
        let config = &self.app.config;
        let settings = Settings {
            gather: &config.gather,
            probes: &config.probes,
            routing_tags: &config.routing_tags,
            budget: until.saturating_duration_since(tokio::time::Instant::now()),
        };
        let examined = Box::pin(examine(&clients, &self.app.caches, settings, event, &quick)).await;
        // The member account's role counts in the gathering's time.
        self.timings.add(
            Step::Gather,
            phase.ms() - examined.diagnose_ms - examined.investigate_ms,
        );
        self.timings.add(Step::Diagnose, examined.diagnose_ms);
        self.timings.add(Step::Investigate, examined.investigate_ms);
        self.stats = examined.stats;
        self.probes = examined.probes;
        examined.report
    }

    /// The routing tags of a message that was not examined (a resolution): from the warm
    /// container's cache, or read within a short budget; a failed read is a gap.
    async fn route(&mut self, event: &EcsEvent, report: &mut Report) {
        const BUDGET: Duration = Duration::from_secs(2);
        let wanted = &self.app.config.routing_tags;
        if wanted.is_empty() {
            return;
        }
        let Ok(Ok(clients)) =
            tokio::time::timeout(BUDGET, self.app.accounts.for_event(event)).await
        else {
            return;
        };
        let ctx = crate::aws::Ctx::new(&clients, &self.app.caches, &self.app.config.gather, BUDGET);
        match crate::examine::routing(&ctx, event, wanted).await {
            Ok(tags) => report.routing = tags,
            Err(gap) => report.gaps.push(gap),
        }
        self.stats.aws_calls += ctx.stats().aws_calls;
    }

    /// The report when the member account could not be entered: what the event says, and why.
    fn diagnose_without(&mut self, event: &EcsEvent, gap: Gap, phase: Timer) -> Report {
        self.timings.record(Step::Gather, phase);
        let phase = Timer::start();
        let report = diagnose(&with_gap(event, gap));
        self.timings.record(Step::Diagnose, phase);
        report
    }

    /// Flood control decides what this failure sends, if anything.
    async fn alert(
        &mut self,
        event: &EcsEvent,
        quick: &Report,
        report: Report,
        placement: &Placement,
    ) -> Result<Outcome, HandlerError> {
        let phase = Timer::start();
        let event_id = self.event_id(event);
        let clock = self.clock(event);
        let occurrence = failure(placement, quick, &report, true);
        let recorded = self
            .flood()
            .record(&placement.scope, &event_id, &occurrence, clock)
            .await;
        self.timings.record(Step::Dedupe, phase);
        self.outcome.incident = Some(recorded.decision.id().to_string());
        let (kind, incident) = match &recorded.decision {
            Decision::Send {
                kind, incidents, ..
            } if !incidents.is_empty() => (*kind, incidents[0].clone()),
            Decision::Duplicate => return Ok(self.settle(OutcomeKind::Duplicate, report)),
            Decision::Counted { incident, why } => {
                self.outcome.incident_id =
                    Some(format!("{}/{}", placement.scope.key(), incident.id));
                self.outcome.add_note(format!(
                    "folded into the open incident: {why} ({} occurrences so far)",
                    incident.occurrences
                ));
                return Ok(self.settle(OutcomeKind::Counted, report));
            }
            _ => {
                self.publish(&report).await?;
                return Ok(self.outcome.clone());
            }
        };
        let mut framed = message::frame(report, &placement.scope, kind, &incident);
        if kind == MessageKind::Opened {
            let phase = Timer::start();
            let storm = self
                .flood()
                .storm(&placement.scope, &incident.cause.category, &event_id, clock)
                .await;
            self.timings.record(Step::Dedupe, phase);
            match storm {
                StormDecision::Alone => {}
                StormDecision::Starts(storm) => {
                    framed = message::storm(framed, &placement.scope, &storm);
                    self.outcome.incident = Some("storm".into());
                }
                StormDecision::Grows(storm) => {
                    framed = message::storm_grew(framed, &placement.scope, &storm);
                    self.outcome.incident = Some("storm-update".into());
                }
                StormDecision::Joins(storm) => {
                    self.flood()
                        .confirm(&placement.scope, &event_id, &recorded, self.app.now.ms())
                        .await;
                    self.outcome.incident = Some("storm-member".into());
                    self.outcome.add_note(format!(
                        "folded into the storm alert of cluster {} ({} services fail with {})",
                        placement.scope.cluster,
                        storm.subjects.len(),
                        storm.category
                    ));
                    return Ok(self.settle(OutcomeKind::Counted, framed));
                }
            }
        }
        self.send(&framed, placement, &event_id, &recorded).await
    }

    /// Publishes a decided message, then confirms it (a publish that fails leaves it pending
    /// for Lambda's retry).
    async fn send(
        &mut self,
        report: &Report,
        placement: &Placement,
        event_id: &str,
        recorded: &Recorded,
    ) -> Result<Outcome, HandlerError> {
        self.outcome.incident_id = Some(report.incident.id.clone());
        let mut report = report.clone();
        if let Some(fallback) = self.store.fallback() {
            report.gaps.push(Gap::new(
                GapKind::Unavailable,
                "flood control's shared state",
                fallback,
                "this container decided alone: the alert may repeat one another container sent; see the function's DynamoDB table and its throttling",
            ));
        }
        let report = &report;
        if let Err(error) = self.publish(report).await {
            let phase = Timer::start();
            self.flood()
                .release(&placement.scope, event_id, self.app.now.ms())
                .await;
            self.timings.record(Step::Dedupe, phase);
            return Err(error);
        }
        let phase = Timer::start();
        self.flood()
            .confirm(&placement.scope, event_id, recorded, self.app.now.ms())
            .await;
        self.timings.record(Step::Dedupe, phase);
        Ok(self.outcome.clone())
    }

    /// Renders and publishes; records the message id and what was cut.
    async fn publish(&mut self, report: &Report) -> Result<(), HandlerError> {
        let quoted = self.app.config.log_quote.apply(report);
        let report = quoted.as_ref();
        let phase = Timer::start();
        let rendered = render(report);
        self.timings.record(Step::Render, phase);
        let phase = Timer::start();
        let destinations = &self.app.config.destinations;
        let published =
            notify::publish(self.app.clients.sns(), destinations, report, rendered).await;
        self.timings.record(Step::Publish, phase);
        self.stats.aws_calls += destinations.topics().len();
        self.outcome.outcome = OutcomeKind::Published;
        self.outcome.category = Some(report.category.id().to_string());
        self.outcome.severity = Some(report.severity.id().to_string());
        self.report = Some(report.clone());
        let published = published?;
        self.outcome.message_id = published.message_id.clone();
        if !published.cut.is_empty() {
            self.outcome
                .add_note(format!("cut to fit SNS: {}", published.cut.join("; ")));
        }
        self.keep_in_history(report, &published.json).await;
        self.stream(report, &published.json).await;
        Ok(())
    }

    /// Puts the message on the incident stream (EVENT_BUS_ARN). SNS has the alert already: a
    /// failure here is a note on the summary line and a metric, never a failed invocation (a
    /// retry would publish the alert a second time to reach the pager once).
    async fn stream(&mut self, report: &Report, sent: &str) {
        let Some(bus) = &self.app.config.event_bus else {
            return;
        };
        let phase = Timer::start();
        self.stats.aws_calls += 1;
        let put = crate::stream::put(self.app.clients.eventbridge(), bus, report, sent).await;
        self.timings.record(Step::Publish, phase);
        if let Err(error) = put {
            self.stream_failed = true;
            self.outcome
                .add_note(format!("not on the incident stream: {error}"));
            tracing::warn!(error = %error, "the report was published but not put on the incident stream");
        }
    }

    /// Keeps the published report in the history (DEDUPE_TABLE, HISTORY_DAYS). A failure is a
    /// warning and a metric: the alert is out already.
    async fn keep_in_history(&mut self, report: &Report, sent: &str) {
        let (Some(table), days) = (&self.app.config.dedupe.table, self.app.config.history_days)
        else {
            return;
        };
        if days == 0 {
            return;
        }
        let phase = Timer::start();
        self.stats.aws_calls += 1;
        let dynamodb = self.app.clients.dynamodb();
        let kept = crate::incidents::history::record(
            dynamodb,
            table,
            report,
            sent,
            self.app.now.ms(),
            days,
        )
        .await;
        self.timings.record(Step::Publish, phase);
        match kept {
            Ok(crate::incidents::history::Kept::Written) => {}
            Ok(crate::incidents::history::Kept::AlreadyKept) => {
                self.outcome
                    .add_note("the history already kept this event's report (a retry)");
            }
            Err(error) => {
                self.history_failed = true;
                tracing::warn!(error = %error, "the report was published but not kept in the history");
            }
        }
    }

    /// What the steps left for the answer: the calls made, and whether flood control had to
    /// use this container's memory.
    fn finish(&mut self) {
        self.outcome.aws_calls = self.stats.aws_calls + self.store.calls();
        if let Some(fallback) = self.store.fallback() {
            self.outcome.add_note(format!(
                "flood control used this container's memory: {fallback}"
            ));
        }
    }

    /// The one summary line per invocation (and its metric line).
    fn summary(&self, result: &Result<(), HandlerError>) {
        Summary {
            event: self.event.as_ref(),
            report: self.report.as_ref(),
            stats: &self.stats,
            outcome: &self.outcome,
            store_kind: self.store.kind(),
            store_calls: self.store.calls(),
            budget_ms: self.budget_ms as u64,
            probes: &self.probes,
            timings: &self.timings,
            invocation: &self.invocation,
            history_failed: self.history_failed,
            stream_failed: self.stream_failed,
            total_ms: self.started.ms(),
        }
        .log(
            result,
            self.app.config.metrics_namespace.as_deref(),
            self.app.now.ms(),
        );
    }
}

/// The occurrence a failure report makes for flood control.
fn failure(placement: &Placement, quick: &Report, report: &Report, diagnosed: bool) -> Occurrence {
    Occurrence::Failure {
        deployment: placement.deployment.clone(),
        joins_open: placement.joins_open,
        cause: Diagnosis {
            category: report.category.id().to_string(),
            quick_category: quick.category.id().to_string(),
            rule: report.rule.clone(),
            title: report.title.clone(),
            severity: report.severity.id().to_string(),
        },
        diagnosed,
    }
}

/// An incident of the event alone, and why nothing more could be read.
fn with_gap(event: &EcsEvent, gap: Gap) -> Incident {
    let mut incident = Incident::from_event(event.clone());
    incident.gaps.push(gap);
    incident
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_lookup(|name| {
            (name == "TOPIC_ARN").then(|| "arn:aws:sns:eu-west-1:1:t".to_string())
        })
        .unwrap()
    }

    /// The gather and the probes are boxed where they are made: the handler's future stays
    /// small enough for a 2 MiB worker stack, in a debug build too.
    #[test]
    fn the_handlers_future_stays_small() {
        let clients = Clients::from_conf(
            &aws_config::SdkConfig::builder()
                .behavior_version(aws_config::BehaviorVersion::latest())
                .build(),
        );
        let app = App::with_clients(config(), clients);
        let size = std::mem::size_of_val(&handle_value(&app, Value::Null, None));
        assert!(size < 64 * 1024, "{size} bytes");
    }

    #[test]
    fn the_budget_leaves_the_publish_reserve_before_the_deadline() {
        let config = config();
        let budget = gather_budget(&config, Some(SystemTime::now() + Duration::from_secs(5)));
        assert!(
            budget <= Duration::from_millis(3_500) && budget > Duration::from_secs(3),
            "{budget:?}"
        );
        let budget = gather_budget(
            &config,
            Some(SystemTime::now() + Duration::from_millis(1_000)),
        );
        assert_eq!(
            budget,
            Duration::ZERO,
            "less than the reserve left: publish at once"
        );
    }

    #[test]
    fn a_deadline_already_past_on_arrival_is_an_emulators_and_the_cap_applies() {
        let config = config();
        let budget = gather_budget(&config, Some(SystemTime::now() - Duration::from_millis(5)));
        assert_eq!(budget, config.gather_budget_cap);
        assert_eq!(gather_budget(&config, None), config.gather_budget_cap);
    }
}
