//! Flood control and idempotency: one alert per incident, with counts, not one per stopped task.
//!
//! - **Idempotency.** EventBridge and Lambda deliver at least once. Before anything is gathered,
//!   the event id is claimed (`EVENT#id`, created only if absent or if an earlier claim's lease
//!   ran out). A second delivery of a handled event publishes nothing. A claim whose publish
//!   failed is released, so Lambda's retry publishes.
//! - **Incidents.** A failure is keyed by (account, cluster, service or task family, category,
//!   task-definition revision). The first occurrence opens the incident and alerts at once;
//!   repeats are counted (`ADD occurrences`); after a whole window without an alert, one repeat
//!   wins the conditional write on `last_alert_ms` and publishes a follow-up that folds the
//!   count. A new category or revision is another key, so another incident. An incident quiet
//!   for a whole window lapses: the next failure opens a new one.
//! - **Recovery.** A steady-state (or deployment-completed) event for a service closes its open
//!   incidents; the one invocation whose conditional write closes them publishes "Resolved".
//!
//! The state lives in DynamoDB (DEDUPE_TABLE) so concurrent invocations agree: every decision is
//! one conditional write, and exactly one writer wins it. Without a table it lives in this
//! execution environment's memory, which only dedupes what the same container sees.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::gather::gaps;
use crate::report::{Category, Report};

/// How long a handled event id is remembered: EventBridge retries deliveries for up to 24 h.
const EVENT_MEMORY_SECS: i64 = 24 * 3600;
/// How long an incident's item outlives its last occurrence (DynamoDB's TTL then deletes it).
const INCIDENT_MEMORY_SECS: i64 = 24 * 3600;
/// Conditional-write races retried before giving up (each loser re-reads and counts itself in).
const CONTENTION_ATTEMPTS: usize = 4;
/// The in-memory fallback forgets expired entries once it holds this many.
const MEMORY_CAPACITY: usize = 10_000;

/// Flood control settings (DEDUPE_TABLE, DEDUPE_WINDOW_MINUTES).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupeConfig {
    /// The DynamoDB table (partition key `pk`, sort key `sk`, both strings; TTL on
    /// `expires_at`). None: this execution environment's memory.
    pub table: Option<String>,
    /// Repeats inside the window are counted into the open incident; at most one follow-up per
    /// window. Zero turns flood control off (every failure alerts; duplicates are still dropped).
    pub window: Duration,
}

impl Default for DedupeConfig {
    fn default() -> Self {
        DedupeConfig {
            table: None,
            window: Duration::from_secs(30 * 60),
        }
    }
}

/// What identifies one incident.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IncidentKey {
    /// `SCOPE#account#cluster#service:NAME` (or `family:NAME` for a task outside a service).
    pub scope: String,
    /// `INCIDENT#category#revision`.
    pub incident: String,
    pub category: String,
    pub revision: String,
}

/// The scope a report is about: account, cluster, and the service or task family.
pub fn scope_of(report: &Report) -> String {
    let resources = &report.resources;
    let unknown = || "-".to_string();
    let family = resources
        .task_definition
        .as_deref()
        .map(|td| td.rsplit_once(':').map_or(td, |(family, _)| family));
    let subject = match (&resources.service, family) {
        (Some(service), _) => format!("service:{service}"),
        (None, Some(family)) => format!("family:{family}"),
        (None, None) => unknown(),
    };
    format!(
        "SCOPE#{}#{}#{}",
        resources.account.clone().unwrap_or_else(unknown),
        resources.cluster.clone().unwrap_or_else(unknown),
        subject
    )
}

impl IncidentKey {
    pub fn for_report(report: &Report) -> IncidentKey {
        let revision = report
            .resources
            .task_definition
            .as_deref()
            .and_then(|td| td.rsplit_once(':'))
            .map_or("-", |(_, revision)| revision)
            .to_string();
        let category = report.category.id().to_string();
        IncidentKey {
            scope: scope_of(report),
            incident: format!("INCIDENT#{category}#{revision}"),
            category,
            revision,
        }
    }
}

/// What to do with one occurrence of a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The first occurrence: alert now.
    Open,
    /// A window has passed since the last alert: one follow-up folds the repeats.
    FollowUp {
        /// Occurrences since the last alert, this one included.
        more: u64,
        /// Occurrences since the incident opened.
        total: u64,
        opened_ms: i64,
        last_alert_ms: i64,
    },
    /// Counted into the open incident; nothing is published.
    Counted { total: u64 },
}

/// Undoes an alert decision when its publish failed, so Lambda's retry can alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollback {
    Opened {
        key: IncidentKey,
    },
    FollowedUp {
        key: IncidentKey,
        last_alert_ms: i64,
        alerted_count: u64,
    },
}

/// An incident closed by a recovery event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub incident: String,
    pub category: Option<Category>,
    pub title: String,
    pub opened_ms: i64,
    pub occurrences: u64,
}

/// Whether this invocation owns the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Claimed,
    /// Already handled, or being handled by another invocation whose lease has not run out.
    Duplicate,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("the flood-control table could not be used ({operation}): {reason}; {fix}")]
pub struct StoreError {
    pub operation: &'static str,
    pub reason: String,
    pub fix: String,
}

/// One incident's state: the same fields in DynamoDB and in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IncidentItem {
    category: String,
    revision: String,
    title: String,
    open: bool,
    opened_ms: i64,
    last_seen_ms: i64,
    open_until_ms: i64,
    last_alert_ms: i64,
    alerted_count: u64,
    occurrences: u64,
    alert_event: String,
    expires_at: i64,
}

#[derive(Debug, Clone)]
struct EventEntry {
    done: bool,
    lease_until_ms: i64,
    expires_at: i64,
}

/// The fallback state: one execution environment's memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<MemoryState>,
}

#[derive(Debug, Default)]
struct MemoryState {
    events: HashMap<String, EventEntry>,
    incidents: HashMap<(String, String), IncidentItem>,
}

/// Where the state lives.
#[derive(Debug, Clone)]
enum Backend {
    DynamoDb {
        client: aws_sdk_dynamodb::Client,
        table: String,
    },
    Memory(Arc<MemoryStore>),
}

/// The incident state for one invocation, and how many DynamoDB requests it made.
#[derive(Debug)]
pub struct Store {
    backend: Backend,
    calls: AtomicUsize,
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn event_pk(event_id: &str) -> String {
    format!("EVENT#{event_id}")
}

fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn window_ms(window: Duration) -> i64 {
    i64::try_from(window.as_millis()).unwrap_or(i64::MAX / 4)
}

fn is_condition_failed<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    error.code() == Some("ConditionalCheckFailedException")
}

fn store_error<E>(
    operation: &'static str,
    table: &str,
    error: &SdkError<E, HttpResponse>,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let action = format!("dynamodb:{operation}");
    let gap = gaps::from_sdk_error(&format!("the table {table}"), &action, error);
    StoreError {
        operation,
        reason: gap.reason,
        fix: if gap.fix.starts_with("grant") {
            format!("grant {action} on table {table} to the function's role")
        } else {
            gap.fix
        },
    }
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value.parse().unwrap_or_default(),
        _ => 0,
    }
}

fn string(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(value)) => value.clone(),
        _ => String::new(),
    }
}

impl IncidentItem {
    fn from_item(item: &HashMap<String, AttributeValue>) -> IncidentItem {
        IncidentItem {
            category: string(item, "category"),
            revision: string(item, "revision"),
            title: string(item, "title"),
            open: string(item, "status") == "open",
            opened_ms: number(item, "opened_ms"),
            last_seen_ms: number(item, "last_seen_ms"),
            open_until_ms: number(item, "open_until_ms"),
            last_alert_ms: number(item, "last_alert_ms"),
            alerted_count: number(item, "alerted_count").max(0) as u64,
            occurrences: number(item, "occurrences").max(0) as u64,
            alert_event: string(item, "alert_event"),
            expires_at: number(item, "expires_at"),
        }
    }

    fn to_item(&self, key: &IncidentKey) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_string(), s(&key.scope)),
            ("sk".to_string(), s(&key.incident)),
            ("category".to_string(), s(&self.category)),
            ("revision".to_string(), s(&self.revision)),
            ("title".to_string(), s(&self.title)),
            (
                "status".to_string(),
                s(if self.open { "open" } else { "resolved" }),
            ),
            ("opened_ms".to_string(), n(self.opened_ms)),
            ("last_seen_ms".to_string(), n(self.last_seen_ms)),
            ("open_until_ms".to_string(), n(self.open_until_ms)),
            ("last_alert_ms".to_string(), n(self.last_alert_ms)),
            ("alerted_count".to_string(), n(self.alerted_count as i64)),
            ("occurrences".to_string(), n(self.occurrences as i64)),
            ("alert_event".to_string(), s(&self.alert_event)),
            ("expires_at".to_string(), n(self.expires_at)),
        ])
    }

    fn resolved(&self, incident: &str) -> Resolved {
        Resolved {
            incident: incident.to_string(),
            category: Category::from_id(&self.category),
            title: self.title.clone(),
            opened_ms: self.opened_ms,
            occurrences: self.occurrences,
        }
    }
}

impl Store {
    /// State in a DynamoDB table, shared by every invocation.
    pub fn dynamodb(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Store {
        Store {
            backend: Backend::DynamoDb {
                client,
                table: table.into(),
            },
            calls: AtomicUsize::new(0),
        }
    }

    /// State in this execution environment's memory.
    pub fn memory(memory: Arc<MemoryStore>) -> Store {
        Store {
            backend: Backend::Memory(memory),
            calls: AtomicUsize::new(0),
        }
    }

    /// "dynamodb" or "memory", for the summary line.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::DynamoDb { .. } => "dynamodb",
            Backend::Memory(_) => "memory",
        }
    }

    /// DynamoDB requests made so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// Claims the event id for this invocation until `lease_until_ms` (the Lambda deadline):
    /// a retry after a crash or a timeout finds the lease run out and claims it again.
    pub async fn claim_event(
        &self,
        event_id: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Claim, StoreError> {
        let expires_at = secs(now_ms) + EVENT_MEMORY_SECS;
        match &self.backend {
            Backend::Memory(memory) => {
                let mut state = memory.lock();
                state.forget_expired(secs(now_ms));
                let taken = state.events.get(event_id).is_some_and(|entry| {
                    entry.expires_at > secs(now_ms)
                        && (entry.done || entry.lease_until_ms >= now_ms)
                });
                if taken {
                    return Ok(Claim::Duplicate);
                }
                state.events.insert(
                    event_id.to_string(),
                    EventEntry {
                        done: false,
                        lease_until_ms,
                        expires_at,
                    },
                );
                Ok(Claim::Claimed)
            }
            Backend::DynamoDb { client, table } => {
                self.count();
                let result = client
                    .put_item()
                    .table_name(table)
                    .item("pk", s(&event_pk(event_id)))
                    .item("sk", s("EVENT"))
                    .item("status", s("in-progress"))
                    .item("lease_until_ms", n(lease_until_ms))
                    .item("expires_at", n(expires_at))
                    .condition_expression(
                        "attribute_not_exists(pk) OR expires_at <= :now_s \
                         OR (#status = :in_progress AND lease_until_ms < :now)",
                    )
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":in_progress", s("in-progress"))
                    .expression_attribute_values(":now", n(now_ms))
                    .expression_attribute_values(":now_s", n(secs(now_ms)))
                    .send()
                    .await;
                match result {
                    Ok(_) => Ok(Claim::Claimed),
                    Err(error) if is_condition_failed(&error) => Ok(Claim::Duplicate),
                    Err(error) => Err(store_error("PutItem", table, &error)),
                }
            }
        }
    }

    /// Marks the event handled: later deliveries are duplicates whatever the lease.
    pub async fn finish_event(&self, event_id: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(memory) => {
                if let Some(entry) = memory.lock().events.get_mut(event_id) {
                    entry.done = true;
                }
                Ok(())
            }
            Backend::DynamoDb { client, table } => {
                self.count();
                client
                    .update_item()
                    .table_name(table)
                    .key("pk", s(&event_pk(event_id)))
                    .key("sk", s("EVENT"))
                    .update_expression("SET #status = :done")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":done", s("done"))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|error| store_error("UpdateItem", table, &error))
            }
        }
    }

    /// Gives the event up (its publish failed): Lambda's retry claims it again.
    pub async fn release_event(&self, event_id: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(memory) => {
                memory.lock().events.remove(event_id);
                Ok(())
            }
            Backend::DynamoDb { client, table } => {
                self.count();
                client
                    .delete_item()
                    .table_name(table)
                    .key("pk", s(&event_pk(event_id)))
                    .key("sk", s("EVENT"))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|error| store_error("DeleteItem", table, &error))
            }
        }
    }

    /// Counts one occurrence of the failure and decides whether it alerts.
    pub async fn record_failure(
        &self,
        key: &IncidentKey,
        title: &str,
        event_id: &str,
        now_ms: i64,
        window: Duration,
    ) -> Result<(Decision, Option<Rollback>), StoreError> {
        let window = window_ms(window);
        let fresh = IncidentItem {
            category: key.category.clone(),
            revision: key.revision.clone(),
            title: title.to_string(),
            open: true,
            opened_ms: now_ms,
            last_seen_ms: now_ms,
            open_until_ms: now_ms.saturating_add(window),
            last_alert_ms: now_ms,
            alerted_count: 1,
            occurrences: 1,
            alert_event: event_id.to_string(),
            expires_at: secs(now_ms.saturating_add(window)) + INCIDENT_MEMORY_SECS,
        };
        match &self.backend {
            Backend::Memory(memory) => {
                let mut state = memory.lock();
                state.forget_expired(secs(now_ms));
                let slot = (key.scope.clone(), key.incident.clone());
                match state.incidents.get_mut(&slot) {
                    Some(item) if item.open && item.open_until_ms > now_ms => {
                        item.occurrences += 1;
                        item.last_seen_ms = now_ms;
                        item.open_until_ms = fresh.open_until_ms;
                        item.expires_at = fresh.expires_at;
                        if now_ms - item.last_alert_ms >= window {
                            let decision = Decision::FollowUp {
                                more: item.occurrences - item.alerted_count,
                                total: item.occurrences,
                                opened_ms: item.opened_ms,
                                last_alert_ms: item.last_alert_ms,
                            };
                            let rollback = Rollback::FollowedUp {
                                key: key.clone(),
                                last_alert_ms: item.last_alert_ms,
                                alerted_count: item.alerted_count,
                            };
                            item.last_alert_ms = now_ms;
                            item.alerted_count = item.occurrences;
                            item.alert_event = event_id.to_string();
                            return Ok((decision, Some(rollback)));
                        }
                        Ok((
                            Decision::Counted {
                                total: item.occurrences,
                            },
                            None,
                        ))
                    }
                    _ => {
                        state.incidents.insert(slot, fresh);
                        Ok((Decision::Open, Some(Rollback::Opened { key: key.clone() })))
                    }
                }
            }
            Backend::DynamoDb { client, table } => {
                for _ in 0..CONTENTION_ATTEMPTS {
                    // 1. Count into the open incident, if there is one.
                    self.count();
                    let counted = client
                        .update_item()
                        .table_name(table)
                        .key("pk", s(&key.scope))
                        .key("sk", s(&key.incident))
                        .update_expression(
                            "ADD occurrences :one \
                             SET last_seen_ms = :now, open_until_ms = :until, expires_at = :ttl",
                        )
                        .condition_expression("#status = :open AND open_until_ms > :now")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":one", n(1))
                        .expression_attribute_values(":now", n(now_ms))
                        .expression_attribute_values(":until", n(fresh.open_until_ms))
                        .expression_attribute_values(":ttl", n(fresh.expires_at))
                        .expression_attribute_values(":open", s("open"))
                        .return_values(ReturnValue::AllNew)
                        .send()
                        .await;
                    match counted {
                        Ok(output) => {
                            let item = IncidentItem::from_item(
                                output.attributes().unwrap_or(&HashMap::new()),
                            );
                            if now_ms - item.last_alert_ms < window {
                                return Ok((
                                    Decision::Counted {
                                        total: item.occurrences,
                                    },
                                    None,
                                ));
                            }
                            // 2. A window since the last alert: one follow-up, whoever wins.
                            self.count();
                            let follow_up = client
                                .update_item()
                                .table_name(table)
                                .key("pk", s(&key.scope))
                                .key("sk", s(&key.incident))
                                .update_expression(
                                    "SET last_alert_ms = :now, alerted_count = :count, alert_event = :me",
                                )
                                .condition_expression("last_alert_ms = :last")
                                .expression_attribute_values(":now", n(now_ms))
                                .expression_attribute_values(":count", n(item.occurrences as i64))
                                .expression_attribute_values(":me", s(event_id))
                                .expression_attribute_values(":last", n(item.last_alert_ms))
                                .send()
                                .await;
                            return match follow_up {
                                Ok(_) => Ok((
                                    Decision::FollowUp {
                                        more: item.occurrences.saturating_sub(item.alerted_count),
                                        total: item.occurrences,
                                        opened_ms: item.opened_ms,
                                        last_alert_ms: item.last_alert_ms,
                                    },
                                    Some(Rollback::FollowedUp {
                                        key: key.clone(),
                                        last_alert_ms: item.last_alert_ms,
                                        alerted_count: item.alerted_count,
                                    }),
                                )),
                                Err(error) if is_condition_failed(&error) => Ok((
                                    Decision::Counted {
                                        total: item.occurrences,
                                    },
                                    None,
                                )),
                                Err(error) => Err(store_error("UpdateItem", table, &error)),
                            };
                        }
                        Err(error) if is_condition_failed(&error) => {}
                        Err(error) => return Err(store_error("UpdateItem", table, &error)),
                    }
                    // 3. None open (or it lapsed or was resolved): open one, unless another
                    //    invocation just did, in which case go round and count into it.
                    self.count();
                    let opened = client
                        .put_item()
                        .table_name(table)
                        .set_item(Some(fresh.to_item(key)))
                        .condition_expression(
                            "attribute_not_exists(pk) OR #status <> :open OR open_until_ms <= :now",
                        )
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":open", s("open"))
                        .expression_attribute_values(":now", n(now_ms))
                        .send()
                        .await;
                    match opened {
                        Ok(_) => {
                            return Ok((
                                Decision::Open,
                                Some(Rollback::Opened { key: key.clone() }),
                            ))
                        }
                        Err(error) if is_condition_failed(&error) => continue,
                        Err(error) => return Err(store_error("PutItem", table, &error)),
                    }
                }
                Err(StoreError {
                    operation: "UpdateItem",
                    reason: format!(
                        "{CONTENTION_ATTEMPTS} conditional writes on {} {} lost to concurrent invocations",
                        key.scope, key.incident
                    ),
                    fix: "nothing to do: the alert is published rather than lost".into(),
                })
            }
        }
    }

    /// Undoes an alert decision whose publish failed (only if no later alert replaced it).
    pub async fn rollback(&self, rollback: &Rollback, event_id: &str) -> Result<(), StoreError> {
        match (&self.backend, rollback) {
            (Backend::Memory(memory), Rollback::Opened { key }) => {
                let mut state = memory.lock();
                let slot = (key.scope.clone(), key.incident.clone());
                if state
                    .incidents
                    .get(&slot)
                    .is_some_and(|item| item.alert_event == event_id)
                {
                    state.incidents.remove(&slot);
                }
                Ok(())
            }
            (
                Backend::Memory(memory),
                Rollback::FollowedUp {
                    key,
                    last_alert_ms,
                    alerted_count,
                },
            ) => {
                let mut state = memory.lock();
                let slot = (key.scope.clone(), key.incident.clone());
                if let Some(item) = state
                    .incidents
                    .get_mut(&slot)
                    .filter(|item| item.alert_event == event_id)
                {
                    item.last_alert_ms = *last_alert_ms;
                    item.alerted_count = *alerted_count;
                }
                Ok(())
            }
            (Backend::DynamoDb { client, table }, Rollback::Opened { key }) => {
                self.count();
                let result = client
                    .delete_item()
                    .table_name(table)
                    .key("pk", s(&key.scope))
                    .key("sk", s(&key.incident))
                    .condition_expression("alert_event = :me")
                    .expression_attribute_values(":me", s(event_id))
                    .send()
                    .await;
                match result {
                    Ok(_) => Ok(()),
                    Err(error) if is_condition_failed(&error) => Ok(()),
                    Err(error) => Err(store_error("DeleteItem", table, &error)),
                }
            }
            (
                Backend::DynamoDb { client, table },
                Rollback::FollowedUp {
                    key,
                    last_alert_ms,
                    alerted_count,
                },
            ) => {
                self.count();
                let result = client
                    .update_item()
                    .table_name(table)
                    .key("pk", s(&key.scope))
                    .key("sk", s(&key.incident))
                    .update_expression("SET last_alert_ms = :last, alerted_count = :count")
                    .condition_expression("alert_event = :me")
                    .expression_attribute_values(":last", n(*last_alert_ms))
                    .expression_attribute_values(":count", n(*alerted_count as i64))
                    .expression_attribute_values(":me", s(event_id))
                    .send()
                    .await;
                match result {
                    Ok(_) => Ok(()),
                    Err(error) if is_condition_failed(&error) => Ok(()),
                    Err(error) => Err(store_error("UpdateItem", table, &error)),
                }
            }
        }
    }

    /// Closes the scope's open incidents; returns the ones this invocation closed (each
    /// incident is closed by exactly one invocation).
    pub async fn resolve(
        &self,
        scope: &str,
        event_id: &str,
        now_ms: i64,
    ) -> Result<Vec<Resolved>, StoreError> {
        match &self.backend {
            Backend::Memory(memory) => {
                let mut state = memory.lock();
                let mut resolved = Vec::new();
                for ((item_scope, incident), item) in state.incidents.iter_mut() {
                    if item_scope == scope && item.open && item.expires_at > secs(now_ms) {
                        item.open = false;
                        item.alert_event = event_id.to_string();
                        resolved.push(item.resolved(incident));
                    }
                }
                resolved.sort_by_key(|r| r.opened_ms);
                Ok(resolved)
            }
            Backend::DynamoDb { client, table } => {
                let mut open = Vec::new();
                let mut start = None;
                loop {
                    self.count();
                    let page = client
                        .query()
                        .table_name(table)
                        .key_condition_expression("pk = :scope")
                        .filter_expression("#status = :open AND expires_at > :now_s")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":scope", s(scope))
                        .expression_attribute_values(":open", s("open"))
                        .expression_attribute_values(":now_s", n(secs(now_ms)))
                        .consistent_read(true)
                        .set_exclusive_start_key(start)
                        .send()
                        .await
                        .map_err(|error| store_error("Query", table, &error))?;
                    for item in page.items() {
                        open.push((string(item, "sk"), IncidentItem::from_item(item)));
                    }
                    start = page.last_evaluated_key().cloned();
                    if start.is_none() {
                        break;
                    }
                }
                let mut resolved = Vec::new();
                for (incident, item) in open {
                    self.count();
                    let closed = client
                        .update_item()
                        .table_name(table)
                        .key("pk", s(scope))
                        .key("sk", s(&incident))
                        .update_expression(
                            "SET #status = :resolved, resolved_ms = :now, alert_event = :me",
                        )
                        .condition_expression("#status = :open AND opened_ms = :opened")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":resolved", s("resolved"))
                        .expression_attribute_values(":open", s("open"))
                        .expression_attribute_values(":now", n(now_ms))
                        .expression_attribute_values(":me", s(event_id))
                        .expression_attribute_values(":opened", n(item.opened_ms))
                        .send()
                        .await;
                    match closed {
                        Ok(_) => resolved.push(item.resolved(&incident)),
                        Err(error) if is_condition_failed(&error) => {}
                        Err(error) => return Err(store_error("UpdateItem", table, &error)),
                    }
                }
                resolved.sort_by_key(|r| r.opened_ms);
                Ok(resolved)
            }
        }
    }

    /// Reopens what [`Store::resolve`] closed when the "resolved" message could not be sent.
    pub async fn reopen(
        &self,
        scope: &str,
        resolved: &[Resolved],
        event_id: &str,
    ) -> Result<(), StoreError> {
        for incident in resolved {
            match &self.backend {
                Backend::Memory(memory) => {
                    let mut state = memory.lock();
                    if let Some(item) = state
                        .incidents
                        .get_mut(&(scope.to_string(), incident.incident.clone()))
                        .filter(|item| !item.open && item.alert_event == event_id)
                    {
                        item.open = true;
                    }
                }
                Backend::DynamoDb { client, table } => {
                    self.count();
                    let result = client
                        .update_item()
                        .table_name(table)
                        .key("pk", s(scope))
                        .key("sk", s(&incident.incident))
                        .update_expression("SET #status = :open")
                        .condition_expression("#status = :resolved AND alert_event = :me")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":open", s("open"))
                        .expression_attribute_values(":resolved", s("resolved"))
                        .expression_attribute_values(":me", s(event_id))
                        .send()
                        .await;
                    match result {
                        Ok(_) => {}
                        Err(error) if is_condition_failed(&error) => {}
                        Err(error) => return Err(store_error("UpdateItem", table, &error)),
                    }
                }
            }
        }
        Ok(())
    }
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        // The lock is never held across an await.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl MemoryState {
    fn forget_expired(&mut self, now_s: i64) {
        if self.events.len() + self.incidents.len() < MEMORY_CAPACITY {
            return;
        }
        self.events.retain(|_, entry| entry.expires_at > now_s);
        self.incidents.retain(|_, item| item.expires_at > now_s);
        if self.events.len() + self.incidents.len() >= MEMORY_CAPACITY {
            self.events.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    fn key(category: &str, revision: &str) -> IncidentKey {
        IncidentKey {
            scope: "SCOPE#1#prod#service:api".into(),
            incident: format!("INCIDENT#{category}#{revision}"),
            category: category.into(),
            revision: revision.into(),
        }
    }

    fn memory() -> Store {
        Store::memory(Arc::default())
    }

    async fn record(store: &Store, key: &IncidentKey, event: &str, at: i64) -> Decision {
        store
            .record_failure(key, "App crash: api", event, at, Duration::from_secs(1800))
            .await
            .unwrap()
            .0
    }

    #[tokio::test]
    async fn a_crash_loop_alerts_once_then_folds_the_repeats_once_per_window() {
        let store = memory();
        let key = key("app-crash", "7");
        assert_eq!(record(&store, &key, "e0", 0).await, Decision::Open);
        for minute in 1..30 {
            assert!(matches!(
                record(&store, &key, &format!("e{minute}"), minute * MINUTE).await,
                Decision::Counted { .. }
            ));
        }
        assert_eq!(
            record(&store, &key, "e30", 30 * MINUTE).await,
            Decision::FollowUp {
                more: 30,
                total: 31,
                opened_ms: 0,
                last_alert_ms: 0
            }
        );
        assert!(matches!(
            record(&store, &key, "e31", 31 * MINUTE).await,
            Decision::Counted { total: 32 }
        ));
    }

    #[tokio::test]
    async fn a_new_revision_or_category_is_a_new_incident() {
        let store = memory();
        assert_eq!(
            record(&store, &key("app-crash", "7"), "a", 0).await,
            Decision::Open
        );
        assert_eq!(
            record(&store, &key("app-crash", "8"), "b", 1).await,
            Decision::Open
        );
        assert_eq!(
            record(&store, &key("oom", "8"), "c", 2).await,
            Decision::Open
        );
    }

    #[tokio::test]
    async fn a_quiet_window_lapses_the_incident() {
        let store = memory();
        let key = key("app-crash", "7");
        record(&store, &key, "a", 0).await;
        assert_eq!(record(&store, &key, "b", 31 * MINUTE).await, Decision::Open);
    }

    #[tokio::test]
    async fn the_same_event_is_claimed_once_and_a_released_claim_can_be_retried() {
        let store = memory();
        assert_eq!(
            store.claim_event("e", 0, 30_000).await.unwrap(),
            Claim::Claimed
        );
        assert_eq!(
            store.claim_event("e", 1, 30_000).await.unwrap(),
            Claim::Duplicate
        );
        store.release_event("e").await.unwrap();
        assert_eq!(
            store.claim_event("e", 2, 30_000).await.unwrap(),
            Claim::Claimed
        );
        // A crashed invocation's lease runs out; a finished one never does.
        assert_eq!(
            store.claim_event("e", 40_000, 70_000).await.unwrap(),
            Claim::Claimed
        );
        store.finish_event("e").await.unwrap();
        assert_eq!(
            store.claim_event("e", 100_000, 130_000).await.unwrap(),
            Claim::Duplicate
        );
    }

    #[tokio::test]
    async fn recovery_resolves_once_and_the_next_failure_opens_a_new_incident() {
        let store = memory();
        let key = key("app-crash", "7");
        record(&store, &key, "a", 0).await;
        let resolved = store.resolve(&key.scope, "steady", MINUTE).await.unwrap();
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0].category, Some(Category::AppCrash));
        assert!(store
            .resolve(&key.scope, "steady-2", MINUTE)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(record(&store, &key, "b", 2 * MINUTE).await, Decision::Open);
    }

    #[tokio::test]
    async fn a_failed_publish_gives_the_alert_back() {
        let store = memory();
        let key = key("app-crash", "7");
        let (decision, rollback) = store
            .record_failure(&key, "t", "a", 0, Duration::from_secs(1800))
            .await
            .unwrap();
        assert_eq!(decision, Decision::Open);
        store.rollback(&rollback.unwrap(), "a").await.unwrap();
        assert_eq!(record(&store, &key, "a", 1).await, Decision::Open);
    }
}
