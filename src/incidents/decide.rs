//! The flood-control policy, as one pure function: (the scope's state, one occurrence with its
//! event time) → what to do, and the state to store. Both stores (DynamoDB, memory) call it;
//! nothing here reads a clock or does I/O.
//!
//! - The first failure of a deployment opens an incident and alerts.
//! - Repeats are counted; one follow-up folds them per window (event time), and never two
//!   messages within [`Policy::min_gap`] of processing time, so a replay of a day of events
//!   does not become a burst.
//! - A refinement of the cause (app-crash → missing-env-or-config once the logs were read) or
//!   an escalation (the deployment rolled back or failed) updates the incident, in the same
//!   thread, within the same gap; a coarser reading of the same loop (logs unreadable this time)
//!   changes nothing.
//! - Recovery resolves; at most one "Resolved" a window. A failure within the window after a
//!   resolve reopens the same incident and is counted (flapping), not alerted anew.
//! - Alerts are two-phase: pending → published. The event that owns a pending message publishes
//!   it when retried; another event takes a pending message over once its lease ran out.
//! - Event time orders everything: a late event counts into the incident it belongs to.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::report::Category;

/// The policy's knobs (DEDUPE_WINDOW_MINUTES and fixed gaps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Repeats within it are counted; one follow-up and one "Resolved" at most per window; an
    /// incident quiet for a whole window is over.
    pub window: Duration,
    /// No two messages of one incident closer than this in processing time (a rollback and
    /// the deployment's failure arrive seconds apart; a replay arrives all at once).
    pub min_gap: Duration,
    /// How long a pending message belongs to the invocation that decided it: the function's
    /// timeout (30 s) and a margin. Within it, the same event again is a concurrent redelivery
    /// (a duplicate); after it, or once the invocation gave it back, the same event again is
    /// Lambda's retry and publishes it, and another event of the incident takes it over.
    pub pending_lease: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            window: Duration::from_secs(30 * 60),
            min_gap: Duration::from_secs(60),
            pending_lease: Duration::from_secs(45),
        }
    }
}

/// How many recent event ids a scope remembers (a redelivery is recognised among them).
const SEEN_KEPT: usize = 128;
/// How many incidents a scope keeps (open ones and those resolved within a window).
const INCIDENTS_KEPT: usize = 8;

/// The state of one scope (a service or a task family): its incidents and recent event ids.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScopeState {
    /// Oldest first.
    pub incidents: Vec<IncidentState>,
    /// Event ids handled, newest last.
    pub seen: VecDeque<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Open,
    Resolved,
}

/// What is known about one cause of one incident.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Diagnosis {
    /// The category of the whole diagnosis (logs and probes included).
    pub category: String,
    /// The category the event alone gives (before anything is read): repeats are recognised by
    /// it before any AWS call.
    pub quick_category: String,
    pub rule: String,
    pub title: String,
    pub severity: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub event_id: String,
    pub kind: MessageKind,
    /// Processing time the message was decided.
    pub since_ms: i64,
    /// The invocation could not publish it and gave it back: its retry sends it at once.
    #[serde(default)]
    pub released: bool,
}

/// One incident: a root cause of one deployment of the scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentState {
    /// The deployment key it was opened with (`ecs-svc/…`, `family:revision`, or `service`).
    pub deployment: String,
    /// Other deployments that joined it (the rollback's own deployment).
    #[serde(default)]
    pub joined: Vec<String>,
    pub status: Status,
    pub cause: Diagnosis,
    /// Other categories seen among its occurrences, with counts.
    #[serde(default)]
    pub others: BTreeMap<String, u64>,
    /// Event times, ms.
    pub opened_at: i64,
    pub last_seen: i64,
    #[serde(default)]
    pub resolved_at: Option<i64>,
    pub occurrences: u64,
    /// Occurrences since the last message.
    pub unreported: u64,
    /// Times it recovered and failed again within a window.
    #[serde(default)]
    pub flaps: u32,
    /// Event time of the occurrence whose message went out last.
    pub last_message_at: i64,
    /// Processing time the last message was decided.
    pub last_message_ms: i64,
    #[serde(default)]
    pub last_resolved_message_at: Option<i64>,
    pub messages: u32,
    #[serde(default)]
    pub pending: Option<Pending>,
}

impl IncidentState {
    /// The incident's stable id: the deployment it belongs to and when it opened.
    pub fn id(&self) -> String {
        format!("{}@{}", self.deployment, self.opened_at)
    }

    fn belongs(&self, deployment: &str) -> bool {
        self.deployment == deployment || self.joined.iter().any(|d| d == deployment)
    }
}

/// What one occurrence is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Occurrence {
    Failure {
        /// None: the event names no deployment (it joins the scope's open incident).
        deployment: Option<String>,
        /// A rollback: joins the scope's open incident whatever its deployment.
        joins_open: bool,
        cause: Diagnosis,
        /// Whether the cause is the whole diagnosis (false: only the event was read so far).
        diagnosed: bool,
    },
    Recovery,
}

/// When an occurrence happened and arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Event time (ms), never later than `now_ms`.
    pub at_ms: i64,
    /// Processing time (ms).
    pub now_ms: i64,
}

impl Clock {
    pub fn new(event_time_ms: Option<i64>, now_ms: i64) -> Clock {
        Clock {
            at_ms: event_time_ms.unwrap_or(now_ms).min(now_ms),
            now_ms,
        }
    }
}

/// Which message an incident sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageKind {
    /// The first alert.
    Opened,
    /// The cause is now known better, or the deployment rolled back or failed.
    Updated,
    /// Still failing: folds the repeats since the last message.
    FollowUp,
    Resolved,
}

impl MessageKind {
    pub const fn id(self) -> &'static str {
        match self {
            MessageKind::Opened => "opened",
            MessageKind::Updated => "updated",
            MessageKind::FollowUp => "follow-up",
            MessageKind::Resolved => "resolved",
        }
    }
}

/// A snapshot of an incident for the message and the summary line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentView {
    pub id: String,
    pub deployment: String,
    pub cause: Diagnosis,
    pub opened_at: i64,
    pub occurrences: u64,
    /// Occurrences folded into this message (since the previous one), this one included.
    pub folded: u64,
    pub flaps: u32,
    pub last_message_at: i64,
    pub messages: u32,
    pub others: BTreeMap<String, u64>,
}

impl From<&IncidentState> for IncidentView {
    fn from(incident: &IncidentState) -> Self {
        IncidentView {
            id: incident.id(),
            deployment: incident.deployment.clone(),
            cause: incident.cause.clone(),
            opened_at: incident.opened_at,
            occurrences: incident.occurrences,
            folded: incident.unreported,
            flaps: incident.flaps,
            last_message_at: incident.last_message_at,
            messages: incident.messages,
            others: incident.others.clone(),
        }
    }
}

/// What to do with one occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// This event id was already handled (EventBridge and Lambda deliver at least once).
    Duplicate,
    /// Counted into an incident; nothing is sent. `why` is for the summary line.
    Counted {
        incident: Box<IncidentView>,
        why: &'static str,
    },
    /// Send `kind` about `incidents` (one, or several for a "Resolved"). `retry`: the message
    /// was decided before (by this event, or by one whose lease ran out) and is sent again.
    Send {
        kind: MessageKind,
        incidents: Vec<IncidentView>,
        retry: bool,
    },
    /// Before reading anything: this occurrence needs the whole diagnosis to be decided.
    Investigate,
    /// A recovery with nothing open: nothing to do.
    Nothing,
}

impl Decision {
    /// The id the summary line logs.
    pub fn id(&self) -> &'static str {
        match self {
            Decision::Duplicate => "duplicate",
            Decision::Counted { .. } => "counted",
            Decision::Send { kind, .. } => kind.id(),
            Decision::Investigate => "investigate",
            Decision::Nothing => "nothing",
        }
    }
}

/// A category the `categories!` row flags `generic` (or none yet): a later, more specific reading
/// refines it.
fn is_generic(category: &str) -> bool {
    category.is_empty() || Category::from_id(category).is_some_and(Category::generic)
}

/// A category the `categories!` row flags `outcome`: an escalation of its incident.
fn is_outcome(category: &str) -> bool {
    Category::from_id(category).is_some_and(Category::outcome)
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 4)
}

/// Decides what to do with `occurrence` of event `event_id` at `clock`, given the scope's
/// `state`; returns the decision and the state to store (unchanged for Duplicate, Investigate
/// and Nothing).
pub fn decide(
    state: &ScopeState,
    event_id: &str,
    occurrence: &Occurrence,
    clock: Clock,
    policy: &Policy,
) -> (Decision, ScopeState) {
    let mut next = state.clone();
    if let Some(decision) = retry_of_pending(&mut next, event_id, occurrence, clock, policy) {
        if !next.seen.iter().any(|seen| seen == event_id) {
            remember(&mut next, event_id, clock, policy);
        }
        return (decision, next);
    }
    if state.seen.iter().any(|seen| seen == event_id) {
        return (Decision::Duplicate, state.clone());
    }
    let decision = match occurrence {
        Occurrence::Recovery => recover(&mut next, event_id, clock, policy),
        Occurrence::Failure {
            deployment,
            joins_open,
            cause,
            diagnosed,
        } => {
            let deployment = deployment.as_deref();
            match find(&next, deployment, *joins_open, clock, policy) {
                Some(index) => repeat(
                    &mut next.incidents[index],
                    event_id,
                    cause,
                    *diagnosed,
                    deployment,
                    clock,
                    policy,
                ),
                None if !diagnosed => Decision::Investigate,
                None => open(&mut next, event_id, deployment, cause, clock),
            }
        }
    };
    match decision {
        Decision::Investigate | Decision::Nothing => (decision, state.clone()),
        decision => {
            remember(&mut next, event_id, clock, policy);
            (decision, next)
        }
    }
}

/// The same event again while its message is pending (Lambda's retry after a failed publish
/// or a timeout): send it again. Another occurrence of the same incident takes a pending
/// message over once its lease ran out (the owner died and no retry came yet), so no alert is
/// lost.
fn retry_of_pending(
    state: &mut ScopeState,
    event_id: &str,
    occurrence: &Occurrence,
    clock: Clock,
    policy: &Policy,
) -> Option<Decision> {
    let lease = ms(policy.pending_lease);
    let takes_over = |incident: &IncidentState, pending: &Pending| {
        let free = pending.released || clock.now_ms - pending.since_ms >= lease;
        if !free {
            return false;
        }
        if pending.event_id == event_id {
            return true;
        }
        match occurrence {
            Occurrence::Recovery => pending.kind == MessageKind::Resolved,
            Occurrence::Failure {
                deployment,
                joins_open,
                ..
            } => {
                pending.kind != MessageKind::Resolved
                    && match deployment {
                        Some(deployment) if !joins_open => incident.belongs(deployment),
                        _ => incident.status == Status::Open,
                    }
            }
        }
    };
    let owned: Vec<usize> = state
        .incidents
        .iter()
        .enumerate()
        .filter(|(_, incident)| {
            incident
                .pending
                .as_ref()
                .is_some_and(|pending| takes_over(incident, pending))
        })
        .map(|(index, _)| index)
        .collect();
    let first = *owned.first()?;
    let kind = state.incidents[first].pending.as_ref()?.kind;
    let mut incidents = Vec::new();
    for index in owned {
        let incident = &mut state.incidents[index];
        let Some(pending) = incident.pending.as_mut() else {
            continue;
        };
        if pending.kind != kind {
            continue;
        }
        pending.event_id = event_id.to_string();
        pending.since_ms = clock.now_ms;
        pending.released = false;
        incident.last_message_ms = clock.now_ms;
        incidents.push(IncidentView::from(&*incident));
    }
    Some(Decision::Send {
        kind,
        incidents,
        retry: true,
    })
}

/// The incident an occurrence belongs to: one of its deployment (open, or resolved within a
/// window: a flap), else for a rollback or an event without a deployment the newest open one.
fn find(
    state: &ScopeState,
    deployment: Option<&str>,
    joins_open: bool,
    clock: Clock,
    policy: &Policy,
) -> Option<usize> {
    if policy.window.is_zero() {
        // Flood control off: every failure is its own message.
        return None;
    }
    let window = ms(policy.window);
    let alive = |incident: &IncidentState| match incident.status {
        // An open incident quiet for a whole window is over; a late event still belongs to it.
        Status::Open => clock.at_ms - incident.last_seen < window,
        Status::Resolved => incident
            .resolved_at
            .is_some_and(|resolved| clock.at_ms - resolved < window),
    };
    let newest = |matches: &dyn Fn(&IncidentState) -> bool| {
        state
            .incidents
            .iter()
            .enumerate()
            .rev()
            .find(|(_, incident)| alive(incident) && matches(incident))
            .map(|(index, _)| index)
    };
    if let Some(deployment) = deployment {
        if let Some(index) = newest(&|incident| incident.belongs(deployment)) {
            return Some(index);
        }
    }
    if joins_open || deployment.is_none() {
        return newest(&|incident| incident.status == Status::Open).or_else(|| newest(&|_| true));
    }
    None
}

fn open(
    state: &mut ScopeState,
    event_id: &str,
    deployment: Option<&str>,
    cause: &Diagnosis,
    clock: Clock,
) -> Decision {
    let incident = IncidentState {
        deployment: deployment.unwrap_or("service").to_string(),
        joined: Vec::new(),
        status: Status::Open,
        cause: cause.clone(),
        others: BTreeMap::new(),
        opened_at: clock.at_ms,
        last_seen: clock.at_ms,
        resolved_at: None,
        occurrences: 1,
        unreported: 0,
        flaps: 0,
        last_message_at: clock.at_ms,
        last_message_ms: clock.now_ms,
        last_resolved_message_at: None,
        messages: 1,
        pending: Some(Pending {
            event_id: event_id.to_string(),
            kind: MessageKind::Opened,
            since_ms: clock.now_ms,
            released: false,
        }),
    };
    let mut view = IncidentView::from(&incident);
    view.folded = 1;
    state.incidents.push(incident);
    Decision::Send {
        kind: MessageKind::Opened,
        incidents: vec![view],
        retry: false,
    }
}

/// A failure of an incident that exists: counted, or a message when one is due.
fn repeat(
    incident: &mut IncidentState,
    event_id: &str,
    cause: &Diagnosis,
    diagnosed: bool,
    deployment: Option<&str>,
    clock: Clock,
    policy: &Policy,
) -> Decision {
    let window = ms(policy.window);
    let gap_ok = clock.now_ms - incident.last_message_ms >= ms(policy.min_gap)
        && clock.at_ms >= incident.last_message_at;
    let follow_up_due = gap_ok && clock.at_ms - incident.last_message_at >= window;
    let same_quick = cause.quick_category == incident.cause.quick_category;
    let late = incident.status == Status::Resolved
        && incident
            .resolved_at
            .is_some_and(|resolved| clock.at_ms < resolved);
    let refines = is_generic(&incident.cause.category)
        && !is_generic(&cause.category)
        && cause.category != incident.cause.category;
    let escalates = is_outcome(&cause.category) && !is_outcome(&incident.cause.category);
    let pending_elsewhere = incident.pending.is_some();
    if late {
        return count(incident, deployment, clock, "late");
    }
    let reopened = incident.status == Status::Resolved;

    // Before anything is read, a repeat of the same first reading is counted at once (a flap
    // reopens the incident); anything that could change the incident is read in full first.
    if !diagnosed {
        if !(same_quick && !follow_up_due && !pending_elsewhere) {
            return Decision::Investigate;
        }
        if reopened {
            reopen(incident);
            return count(incident, deployment, clock, "reopened (flapping)");
        }
        return count(incident, deployment, clock, "repeat");
    }
    let kind = if pending_elsewhere {
        None
    } else if (refines || escalates) && gap_ok && !reopened {
        Some(MessageKind::Updated)
    } else if follow_up_due {
        Some(MessageKind::FollowUp)
    } else {
        None
    };
    let why = match (reopened, pending_elsewhere) {
        (true, _) => "reopened (flapping)",
        (false, true) => "a message is being sent",
        (false, false) => "within the window",
    };
    if reopened {
        reopen(incident);
    }
    adopt_cause(incident, cause);
    let Some(kind) = kind else {
        return count(incident, deployment, clock, why);
    };
    note(incident, deployment, clock);
    let mut view = IncidentView::from(&*incident);
    view.folded = incident.unreported;
    incident.unreported = 0;
    incident.last_message_at = clock.at_ms;
    incident.last_message_ms = clock.now_ms;
    incident.messages += 1;
    incident.pending = Some(Pending {
        event_id: event_id.to_string(),
        kind,
        since_ms: clock.now_ms,
        released: false,
    });
    view.messages = incident.messages;
    Decision::Send {
        kind,
        incidents: vec![view],
        retry: false,
    }
}

/// A failure within the window after a recovery: the same incident, flapping.
fn reopen(incident: &mut IncidentState) {
    incident.status = Status::Open;
    incident.resolved_at = None;
    incident.flaps += 1;
}

/// The incident takes a better-known cause (a refinement or an escalation); a coarser or
/// different reading is tallied among the others.
fn adopt_cause(incident: &mut IncidentState, cause: &Diagnosis) {
    let current = &incident.cause.category;
    let better = (is_generic(current) && !is_generic(&cause.category))
        || (is_outcome(&cause.category) && !is_outcome(current));
    if better {
        let quick = incident.cause.quick_category.clone();
        incident.cause = Diagnosis {
            quick_category: if is_outcome(&cause.category) {
                quick
            } else {
                cause.quick_category.clone()
            },
            ..cause.clone()
        };
    } else if cause.category != *current && !cause.category.is_empty() && !is_outcome(current) {
        *incident.others.entry(cause.category.clone()).or_default() += 1;
    }
}

/// Counts an occurrence into the incident.
fn note(incident: &mut IncidentState, deployment: Option<&str>, clock: Clock) {
    incident.occurrences += 1;
    incident.unreported += 1;
    incident.last_seen = incident.last_seen.max(clock.at_ms);
    incident.opened_at = incident.opened_at.min(clock.at_ms);
    if let Some(deployment) = deployment {
        if !incident.belongs(deployment) && incident.joined.len() < 8 {
            incident.joined.push(deployment.to_string());
        }
    }
}

fn count(
    incident: &mut IncidentState,
    deployment: Option<&str>,
    clock: Clock,
    why: &'static str,
) -> Decision {
    note(incident, deployment, clock);
    Decision::Counted {
        incident: Box::new(IncidentView::from(&*incident)),
        why,
    }
}

/// A recovery closes the scope's open incidents (those whose failures came before it); one
/// "Resolved" names them, unless each already had its "Resolved" within the window.
fn recover(state: &mut ScopeState, event_id: &str, clock: Clock, policy: &Policy) -> Decision {
    let window = ms(policy.window);
    let gap = ms(policy.min_gap);
    let mut announced = Vec::new();
    let mut silent = Vec::new();
    for incident in &mut state.incidents {
        if incident.status != Status::Open || incident.last_seen > clock.at_ms {
            continue;
        }
        incident.status = Status::Resolved;
        incident.resolved_at = Some(clock.at_ms);
        // The first "Resolved" may follow its alert at once; later ones (a flapping service)
        // need a window without messages.
        let first_resolve = incident.last_resolved_message_at.is_none();
        let quiet = clock.at_ms - incident.last_message_at >= window
            && clock.now_ms - incident.last_message_ms >= gap;
        let may_send = incident.pending.is_none() && (first_resolve || quiet);
        if may_send {
            let mut view = IncidentView::from(&*incident);
            view.folded = incident.unreported;
            incident.unreported = 0;
            incident.last_message_at = clock.at_ms;
            incident.last_message_ms = clock.now_ms;
            incident.last_resolved_message_at = Some(clock.at_ms);
            incident.messages += 1;
            incident.pending = Some(Pending {
                event_id: event_id.to_string(),
                kind: MessageKind::Resolved,
                since_ms: clock.now_ms,
                released: false,
            });
            view.messages = incident.messages;
            announced.push(view);
        } else {
            silent.push(IncidentView::from(&*incident));
        }
    }
    if !announced.is_empty() {
        return Decision::Send {
            kind: MessageKind::Resolved,
            incidents: announced,
            retry: false,
        };
    }
    match silent.into_iter().next() {
        Some(incident) => Decision::Counted {
            incident: Box::new(incident),
            why: "resolved quietly (a Resolved was sent within the window)",
        },
        None => Decision::Nothing,
    }
}

/// Records the event id, and forgets incidents that are over (resolved or quiet for a window).
fn remember(state: &mut ScopeState, event_id: &str, clock: Clock, policy: &Policy) {
    state.seen.push_back(event_id.to_string());
    while state.seen.len() > SEEN_KEPT {
        state.seen.pop_front();
    }
    let keep_for = 2 * ms(policy.window);
    state.incidents.retain(|incident| {
        incident.pending.is_some()
            || match incident.status {
                Status::Open => clock.at_ms - incident.last_seen < keep_for,
                Status::Resolved => incident
                    .resolved_at
                    .is_some_and(|resolved| clock.at_ms - resolved < keep_for),
            }
    });
    while state.incidents.len() > INCIDENTS_KEPT {
        state.incidents.remove(0);
    }
}

/// The message could not be published: the invocation gives it back, so Lambda's retry of the
/// same event publishes it at once.
pub fn release(state: &ScopeState, event_id: &str) -> ScopeState {
    let mut next = state.clone();
    for incident in &mut next.incidents {
        if let Some(pending) = incident
            .pending
            .as_mut()
            .filter(|pending| pending.event_id == event_id)
        {
            pending.released = true;
        }
    }
    next
}

/// The message went out: the pending mark of `event_id` is cleared.
pub fn confirm(state: &ScopeState, event_id: &str) -> ScopeState {
    let mut next = state.clone();
    for incident in &mut next.incidents {
        if incident
            .pending
            .as_ref()
            .is_some_and(|pending| pending.event_id == event_id)
        {
            incident.pending = None;
        }
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;
    const START: i64 = 1_800_000_000_000;

    fn cause(category: &str, quick: &str) -> Diagnosis {
        Diagnosis {
            category: category.into(),
            quick_category: quick.into(),
            rule: "r".into(),
            title: format!("{category}: api"),
            severity: "high".into(),
        }
    }

    fn crash(deployment: &str) -> Occurrence {
        Occurrence::Failure {
            deployment: Some(deployment.into()),
            joins_open: false,
            cause: cause("missing-env-or-config", "app-crash"),
            diagnosed: true,
        }
    }

    /// Plays occurrences in order (each published at once) and returns the messages sent.
    struct Day {
        state: ScopeState,
        policy: Policy,
        sent: Vec<(i64, MessageKind)>,
    }

    impl Day {
        fn new() -> Day {
            Day {
                state: ScopeState::default(),
                policy: Policy::default(),
                sent: Vec::new(),
            }
        }

        fn play(&mut self, id: &str, minute: i64, occurrence: &Occurrence) -> Decision {
            let at = START + minute * MINUTE;
            self.play_at(id, at, at, occurrence)
        }

        fn play_at(&mut self, id: &str, at: i64, now: i64, occurrence: &Occurrence) -> Decision {
            let clock = Clock::new(Some(at), now);
            let (decision, next) = decide(&self.state, id, occurrence, clock, &self.policy);
            self.state = next;
            if let Decision::Send { kind, .. } = &decision {
                self.sent.push((at, *kind));
                self.state = confirm(&self.state, id);
            }
            decision
        }
    }

    #[test]
    fn a_crash_loop_alerts_once_then_follows_up_once_a_window() {
        let mut day = Day::new();
        for minute in 0..50 {
            // Every event delivered twice.
            day.play(&format!("e{minute}"), minute, &crash("ecs-svc/1"));
            let again = day.play(&format!("e{minute}"), minute, &crash("ecs-svc/1"));
            assert_eq!(again, Decision::Duplicate);
        }
        let kinds: Vec<MessageKind> = day.sent.iter().map(|(_, kind)| *kind).collect();
        assert_eq!(kinds, [MessageKind::Opened, MessageKind::FollowUp]);
        assert_eq!(day.sent[1].0, START + 30 * MINUTE);
    }

    #[test]
    fn flapping_with_steady_state_between_crashes_sends_at_most_three_messages() {
        for steady_after in [2, 5, 9] {
            let mut day = Day::new();
            for crash_number in 0..5 {
                let minute = crash_number * 10;
                day.play(&format!("c{crash_number}"), minute, &crash("ecs-svc/1"));
                day.play(
                    &format!("s{crash_number}"),
                    minute + steady_after,
                    &Occurrence::Recovery,
                );
            }
            assert!(
                day.sent.len() <= 3,
                "steady {steady_after} min after each crash: {:?}",
                day.sent
            );
            assert_eq!(day.sent[0].1, MessageKind::Opened);
            assert_eq!(day.sent[1].1, MessageKind::Resolved);
        }
    }

    #[test]
    fn a_bad_deploy_is_one_incident_an_alert_and_one_update() {
        let mut day = Day::new();
        for task in 0..3 {
            day.play(&format!("t{task}"), task, &crash("ecs-svc/2"));
        }
        let rollback = Occurrence::Failure {
            deployment: Some("ecs-svc/3".into()),
            joins_open: true,
            cause: cause("circuit-breaker-rollback", "circuit-breaker-rollback"),
            diagnosed: true,
        };
        let failed = Occurrence::Failure {
            deployment: Some("ecs-svc/2".into()),
            joins_open: false,
            cause: cause("circuit-breaker-failure", "circuit-breaker-failure"),
            diagnosed: true,
        };
        day.play("rollback", 4, &rollback);
        let at = START + 4 * MINUTE + 5_000;
        day.play_at("failed", at, at, &failed);
        let kinds: Vec<MessageKind> = day.sent.iter().map(|(_, kind)| *kind).collect();
        assert_eq!(kinds, [MessageKind::Opened, MessageKind::Updated]);
        assert_eq!(day.state.incidents.len(), 1, "{:#?}", day.state);
        assert_eq!(day.state.incidents[0].occurrences, 5);
    }

    #[test]
    fn a_coarser_reading_of_the_same_loop_changes_nothing_and_a_refinement_updates() {
        let mut day = Day::new();
        let generic = Occurrence::Failure {
            deployment: Some("ecs-svc/1".into()),
            joins_open: false,
            cause: cause("app-crash", "app-crash"),
            diagnosed: true,
        };
        day.play("a", 0, &generic);
        day.play("b", 2, &crash("ecs-svc/1"));
        day.play("c", 3, &generic);
        let kinds: Vec<MessageKind> = day.sent.iter().map(|(_, kind)| *kind).collect();
        assert_eq!(kinds, [MessageKind::Opened, MessageKind::Updated]);
        assert_eq!(
            day.state.incidents[0].cause.category,
            "missing-env-or-config"
        );
    }

    #[test]
    fn a_repeat_is_recognised_before_anything_is_read() {
        let mut day = Day::new();
        day.play("a", 0, &crash("ecs-svc/1"));
        let quick = Occurrence::Failure {
            deployment: Some("ecs-svc/1".into()),
            joins_open: false,
            cause: cause("app-crash", "app-crash"),
            diagnosed: false,
        };
        assert!(matches!(day.play("b", 1, &quick), Decision::Counted { .. }));
        // A new deployment needs the whole diagnosis.
        let other = Occurrence::Failure {
            deployment: Some("ecs-svc/9".into()),
            joins_open: false,
            cause: cause("app-crash", "app-crash"),
            diagnosed: false,
        };
        assert_eq!(day.play("c", 2, &other), Decision::Investigate);
        // A follow-up that is due needs it too.
        assert_eq!(day.play("d", 31, &quick), Decision::Investigate);
    }

    #[test]
    fn a_pending_alert_is_published_by_the_retry_of_its_event() {
        let policy = Policy::default();
        let state = ScopeState::default();
        let clock = Clock::new(Some(START), START);
        let (first, state) = decide(&state, "e1", &crash("ecs-svc/1"), clock, &policy);
        assert!(matches!(
            first,
            Decision::Send {
                kind: MessageKind::Opened,
                retry: false,
                ..
            }
        ));
        // The invocation died before publishing. Another event of the loop is counted …
        let later = Clock::new(Some(START + 10_000), START + 10_000);
        let (second, state) = decide(&state, "e2", &crash("ecs-svc/1"), later, &policy);
        assert!(matches!(second, Decision::Counted { .. }), "{second:?}");
        // … and Lambda's retry of e1 publishes the alert.
        let retry = Clock::new(Some(START), START + 60_000);
        let (third, state) = decide(&state, "e1", &crash("ecs-svc/1"), retry, &policy);
        assert!(
            matches!(
                third,
                Decision::Send {
                    kind: MessageKind::Opened,
                    retry: true,
                    ..
                }
            ),
            "{third:?}"
        );
        let state = confirm(&state, "e1");
        let (fourth, _) = decide(&state, "e1", &crash("ecs-svc/1"), retry, &policy);
        assert_eq!(fourth, Decision::Duplicate);
    }

    #[test]
    fn the_same_event_delivered_twice_at_once_is_a_duplicate_while_its_alert_is_in_flight() {
        let policy = Policy::default();
        let clock = Clock::new(Some(START), START);
        let (_, state) = decide(
            &ScopeState::default(),
            "e1",
            &crash("ecs-svc/1"),
            clock,
            &policy,
        );
        let soon = Clock::new(Some(START), START + 2_000);
        let (again, _) = decide(&state, "e1", &crash("ecs-svc/1"), soon, &policy);
        assert_eq!(again, Decision::Duplicate);
        // Given back after a failed publish, the same event publishes at once.
        let released = release(&state, "e1");
        let (retry, _) = decide(&released, "e1", &crash("ecs-svc/1"), soon, &policy);
        assert!(
            matches!(retry, Decision::Send { retry: true, .. }),
            "{retry:?}"
        );
    }

    #[test]
    fn a_pending_alert_whose_owner_never_returns_is_sent_by_the_next_event() {
        let policy = Policy::default();
        let clock = Clock::new(Some(START), START);
        let (_, state) = decide(
            &ScopeState::default(),
            "e1",
            &crash("ecs-svc/1"),
            clock,
            &policy,
        );
        let later = START + 2 * MINUTE;
        let (decision, _) = decide(
            &state,
            "e2",
            &crash("ecs-svc/1"),
            Clock::new(Some(later), later),
            &policy,
        );
        assert!(
            matches!(
                decision,
                Decision::Send {
                    kind: MessageKind::Opened,
                    retry: true,
                    ..
                }
            ),
            "{decision:?}"
        );
    }

    #[test]
    fn late_and_replayed_events_fold_on_event_time() {
        let mut day = Day::new();
        day.play("a", 0, &crash("ecs-svc/1"));
        day.play("steady", 3, &Occurrence::Recovery);
        // A crash from before the recovery, delivered an hour late: it belongs to the incident
        // that is over, and is counted, not alerted.
        let late = day.play_at(
            "late",
            START + MINUTE,
            START + 60 * MINUTE,
            &crash("ecs-svc/1"),
        );
        assert!(
            matches!(late, Decision::Counted { why: "late", .. }),
            "{late:?}"
        );
        // A day of crashes replayed in one minute: one alert, no burst of follow-ups.
        let mut replay = Day::new();
        let now = START + 48 * 60 * MINUTE;
        for event in 0..(24 * 60 / 5) {
            let at = START + event * 5 * MINUTE;
            replay.play_at(
                &format!("r{event}"),
                at,
                now + event * 100,
                &crash("ecs-svc/1"),
            );
        }
        assert_eq!(replay.sent.len(), 1, "{:?}", replay.sent);
    }

    #[test]
    fn an_incident_quiet_for_a_window_is_over_and_a_new_deployment_is_a_new_incident() {
        let mut day = Day::new();
        day.play("a", 0, &crash("ecs-svc/1"));
        day.play("b", 31, &crash("ecs-svc/1"));
        day.play("c", 32, &crash("ecs-svc/2"));
        let kinds: Vec<MessageKind> = day.sent.iter().map(|(_, kind)| *kind).collect();
        assert_eq!(
            kinds,
            [
                MessageKind::Opened,
                MessageKind::Opened,
                MessageKind::Opened
            ]
        );
    }

    #[test]
    fn a_recovery_without_an_open_incident_does_nothing() {
        let mut day = Day::new();
        assert_eq!(day.play("s", 0, &Occurrence::Recovery), Decision::Nothing);
        assert!(day.sent.is_empty());
    }
}
