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
use std::time::{Duration, Instant, SystemTime};

use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde_json::Value;

use crate::aws::{Accounts, Caches, Clients};
use crate::config::Config;
use crate::diagnose::diagnose;
use crate::event::{parse_value, EcsEvent, EventError};
use crate::examine::{examine, Settings};
use crate::gather::{gaps, GatherStats};
use crate::incident::{Gap, GapKind, Incident};
use crate::incidents::{
    message, placement, Cause, Clock, Decision, FloodControl, MemoryStore, MessageKind, Occurrence,
    Placement, Recorded, Store, StormDecision,
};
use crate::metrics::{Figures, Invocation};
use crate::notify::{self, NotifyError};
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
        App::with_clients(config, Clients::from_conf(&sdk_config))
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeKind {
    /// A message was published.
    Published,
    /// A benign stop or progress (NOTIFY_BENIGN is off): no AWS call was made.
    Benign,
    /// A failure below MIN_SEVERITY.
    BelowMinSeverity,
    /// This event id was already handled (EventBridge and Lambda deliver at least once).
    Duplicate,
    /// Folded into an open incident: counted, nothing sent.
    Counted,
}

impl OutcomeKind {
    pub const fn id(self) -> &'static str {
        match self {
            OutcomeKind::Published => "published",
            OutcomeKind::Benign => "benign",
            OutcomeKind::BelowMinSeverity => "below-min-severity",
            OutcomeKind::Duplicate => "duplicate",
            OutcomeKind::Counted => "counted",
        }
    }
}

/// The invocation's answer (also the Lambda's response payload).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub outcome: OutcomeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// AWS operations called for this event (flood control and publishing included).
    pub aws_calls: usize,
    /// Flood control's decision: opened, updated, follow-up, resolved, storm, counted, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// The incident's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    /// Why it was counted, or what was cut to fit SNS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Outcome {
    fn new(kind: OutcomeKind) -> Outcome {
        Outcome {
            outcome: kind,
            event_id: None,
            category: None,
            severity: None,
            message_id: None,
            aws_calls: 0,
            incident: None,
            incident_id: None,
            note: None,
        }
    }

    fn add_note(&mut self, note: impl Into<String>) {
        let note = note.into();
        self.note = Some(match self.note.take() {
            Some(before) => format!("{before}; {note}"),
            None => note,
        });
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Publish(#[from] NotifyError),
    /// Retrying cannot help, but failing keeps the event: after Lambda's retries the on-failure
    /// destination holds it, where the failure-queue alarm shows it to an operator.
    #[error("the event could not be read ({0}); it is kept in the failure queue, and the function's log has it, scrubbed")]
    Unreadable(#[from] EventError),
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(error: HandlerError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: match &error {
                HandlerError::Publish(NotifyError::Publish { .. }) => "EcsDoctor.PublishFailed",
                HandlerError::Publish(NotifyError::TooLarge { .. }) => "EcsDoctor.ReportTooLarge",
                HandlerError::Unreadable(_) => "EcsDoctor.UnreadableEvent",
            }
            .into(),
            error_message: error.to_string(),
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

/// Milliseconds per phase, for the summary line.
#[derive(Debug, Default, Clone, Copy)]
struct Timings {
    parse: f64,
    dedupe: f64,
    gather: f64,
    diagnose: f64,
    /// The late probes and the conclusions (the early probes run within `gather`).
    investigate: f64,
    render: f64,
    publish: f64,
}

fn ms_since(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0
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
    started: Instant,
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
            started: Instant::now(),
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
        let phase = Instant::now();
        let parsed = parse_value(payload.clone());
        self.timings.parse = ms_since(phase);
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
                let outline = crate::text::truncate(&outline, 8 * 1024);
                tracing::error!(error = %error, unreadable_event = %outline,
                    "ecs-doctor cannot read this event: it fails the invocation so the failure queue keeps it");
                Err(HandlerError::Unreadable(error))
            }
        }
    }

    /// What the event alone says: benign stops, recoveries and repeats are decided from it.
    fn quick_diagnosis(&mut self, event: &EcsEvent) -> Report {
        let phase = Instant::now();
        let quick = diagnose(&Incident::from_event(event.clone()));
        self.timings.diagnose = ms_since(phase);
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
        let phase = Instant::now();
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
        self.timings.dedupe += ms_since(phase);
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
        let phase = Instant::now();
        let occurrence = failure(placement, quick, quick, false);
        let event_id = self.event_id(event);
        let recorded = self
            .flood()
            .recognise(&placement.scope, &event_id, &occurrence, self.clock(event))
            .await;
        self.timings.dedupe += ms_since(phase);
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
        let phase = Instant::now();
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
        self.timings.gather = ms_since(phase) - examined.diagnose_ms - examined.investigate_ms;
        self.timings.diagnose += examined.diagnose_ms;
        self.timings.investigate = examined.investigate_ms;
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
        let ctx =
            crate::gather::Ctx::new(&clients, &self.app.caches, &self.app.config.gather, BUDGET);
        match crate::examine::routing(&ctx, event, wanted).await {
            Ok(tags) => report.routing = tags,
            Err(gap) => report.gaps.push(gap),
        }
        self.stats.aws_calls += ctx.stats().aws_calls;
    }

    /// The report when the member account could not be entered: what the event says, and why.
    fn diagnose_without(&mut self, event: &EcsEvent, gap: Gap, phase: Instant) -> Report {
        self.timings.gather = ms_since(phase);
        let phase = Instant::now();
        let report = diagnose(&with_gap(event, gap));
        self.timings.diagnose += ms_since(phase);
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
        let phase = Instant::now();
        let event_id = self.event_id(event);
        let clock = self.clock(event);
        let occurrence = failure(placement, quick, &report, true);
        let recorded = self
            .flood()
            .record(&placement.scope, &event_id, &occurrence, clock)
            .await;
        self.timings.dedupe += ms_since(phase);
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
            let phase = Instant::now();
            let storm = self
                .flood()
                .storm(&placement.scope, &incident.cause.category, &event_id, clock)
                .await;
            self.timings.dedupe += ms_since(phase);
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
            let phase = Instant::now();
            self.flood()
                .release(&placement.scope, event_id, self.app.now.ms())
                .await;
            self.timings.dedupe += ms_since(phase);
            return Err(error);
        }
        let phase = Instant::now();
        self.flood()
            .confirm(&placement.scope, event_id, recorded, self.app.now.ms())
            .await;
        self.timings.dedupe += ms_since(phase);
        Ok(self.outcome.clone())
    }

    /// Renders and publishes; records the message id and what was cut.
    async fn publish(&mut self, report: &Report) -> Result<(), HandlerError> {
        let quoted = self.app.config.log_quote.apply(report);
        let report = quoted.as_ref();
        let phase = Instant::now();
        let rendered = render(report);
        self.timings.render = ms_since(phase);
        let phase = Instant::now();
        let destinations = &self.app.config.destinations;
        let published =
            notify::publish(self.app.clients.sns(), destinations, report, rendered).await;
        self.timings.publish = ms_since(phase);
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
        let phase = Instant::now();
        self.stats.aws_calls += 1;
        let put = crate::stream::put(self.app.clients.eventbridge(), bus, report, sent).await;
        self.timings.publish += ms_since(phase);
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
        let phase = Instant::now();
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
        self.timings.publish += ms_since(phase);
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

    /// The one summary line per invocation.
    fn summary(&self, result: &Result<(), HandlerError>) {
        let (event, report, stats, timings) = (
            self.event.as_ref(),
            self.report.as_ref(),
            &self.stats,
            &self.timings,
        );
        let outcome = match result {
            Ok(_) => self.outcome.outcome.id(),
            Err(HandlerError::Unreadable(_)) => "unreadable",
            Err(HandlerError::Publish(_)) => "publish-failed",
        };
        let invocation = &self.invocation;
        // The invocation's keys (function_request_id, cold_start …) come from its span.
        if let Err(error) = result {
            tracing::error!(error = %error,
                "the invocation fails so Lambda retries it and the failure queue keeps it");
        }
        let total_ms = ms_since(self.started);
        tracing::info!(
            summary = true,
            outcome,
            event_id = event.and_then(|e| e.id.as_deref()).unwrap_or(""),
            detail_type = event.map(|e| e.detail.detail_type()).unwrap_or(""),
            category = report.map(|r| r.category.id()).unwrap_or(""),
            severity = report.map(|r| r.severity.id()).unwrap_or(""),
            notify = report.is_some_and(|r| r.notify),
            cluster = report
                .and_then(|r| r.resources.cluster.as_deref())
                .unwrap_or(""),
            // `service` is Powertools' (the function's, from the span): the ECS service is
            // `ecs_service`.
            ecs_service = report
                .and_then(|r| r.resources.service.as_deref())
                .unwrap_or(""),
            incident = self.outcome.incident.as_deref().unwrap_or(""),
            incident_id = self.outcome.incident_id.as_deref().unwrap_or(""),
            gaps = report.map_or(0, |r| r.gaps.len()),
            aws_calls = self.outcome.aws_calls,
            store = self.store.kind(),
            store_calls = self.store.calls(),
            cache_hits = stats.task_definition_cache_hits,
            timed_out = stats.timed_out,
            budget_ms = self.budget_ms as u64,
            parse_ms = timings.parse,
            dedupe_ms = timings.dedupe,
            gather_ms = timings.gather,
            diagnose_ms = timings.diagnose,
            investigate_ms = timings.investigate,
            probes = self.probes.join(","),
            verified = report.map_or(0, verified_facts),
            render_ms = timings.render,
            publish_ms = timings.publish,
            total_ms,
            note = self.outcome.note.as_deref().unwrap_or(""),
            unrecognized = report.is_some_and(|r| r.category == Category::Other),
            raw_reason = report
                .and_then(unrecognized_reason)
                .as_deref()
                .unwrap_or(""),
            "ecs-doctor invocation"
        );
        if let Some(namespace) = &self.app.config.metrics_namespace {
            let line = crate::metrics::emf_line(
                namespace,
                invocation,
                &self.figures(outcome, total_ms),
                self.app.now.ms(),
            );
            // EMF must be a line of its own on stdout, which Lambda sends to CloudWatch Logs.
            println!("{line}");
        }
    }

    /// The invocation's figures for its metric line.
    fn figures(&self, outcome: &str, total_ms: f64) -> Figures {
        let report = self.report.as_ref();
        let timings = &self.timings;
        let mut gaps: Vec<(&'static str, usize)> = Vec::new();
        for gap in report.map_or(&[][..], |r| r.gaps.as_slice()) {
            match gaps.iter_mut().find(|(kind, _)| *kind == gap.kind.id()) {
                Some((_, count)) => *count += 1,
                None => gaps.push((gap.kind.id(), 1)),
            }
        }
        let published = outcome == "published";
        Figures {
            outcome: outcome.to_string(),
            message: report
                .map(|r| r.incident.message.clone())
                .filter(|message| published && !message.is_empty()),
            category: report.map(|r| r.category.id().to_string()),
            severity: report.map(|r| r.severity.id().to_string()),
            cluster: report.and_then(|r| r.resources.cluster.clone()),
            service: report.and_then(|r| r.resources.service.clone()),
            gaps,
            aws_calls: self.outcome.aws_calls,
            verified: report.map_or(0, verified_facts),
            history_failed: self.history_failed,
            stream_failed: self.stream_failed,
            durations: vec![
                ("DurationTotal", total_ms),
                ("DurationParse", timings.parse),
                ("DurationDedupe", timings.dedupe),
                ("DurationGather", timings.gather),
                ("DurationInvestigate", timings.investigate),
                ("DurationDiagnose", timings.diagnose),
                ("DurationRender", timings.render),
                ("DurationPublish", timings.publish),
            ],
        }
    }
}

fn verified_facts(report: &Report) -> usize {
    report
        .evidence
        .iter()
        .filter(|e| e.verified_by.is_some())
        .count()
}

/// For a report the catalog could not explain (`other`: nothing known, or a known phase with an
/// unknown cause): what ECS said, scrubbed, for the Logs Insights query that lists them.
fn unrecognized_reason(report: &Report) -> Option<String> {
    if report.category != Category::Other {
        return None;
    }
    // "task stoppedReason" and "container api reason": the case differs.
    let said = report.evidence.iter().find(|item| {
        item.source.to_ascii_lowercase().ends_with("reason")
            || item.source.starts_with("service")
            || item.source.starts_with("deployment")
    })?;
    Some(crate::redact::scrub_and_cut(&said.text, 500))
}

/// The occurrence a failure report makes for flood control.
fn failure(placement: &Placement, quick: &Report, report: &Report, diagnosed: bool) -> Occurrence {
    Occurrence::Failure {
        deployment: placement.deployment.clone(),
        joins_open: placement.joins_open,
        cause: Cause {
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
    fn a_tasks_stopped_reason_reaches_raw_reason_when_no_container_gives_one() {
        let event = crate::parse(include_bytes!("../events/other.json")).unwrap();
        let report = diagnose(&Incident::from_event(event));
        assert_eq!(report.category, Category::Other);
        assert_eq!(
            unrecognized_reason(&report).as_deref(),
            Some(
                "UnexpectedPlatformError: the platform could not complete the request (code 7731)"
            )
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
