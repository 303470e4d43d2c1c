//! Where flood control keeps its state: one versioned item per scope (and one per cluster for
//! storms), in the DynamoDB table DEDUPE_TABLE or in this container's memory. The stores only
//! load and save; what to do is decided by `decide` and `storm`, once, for both.
//!
//! DynamoDB: `pk` = `SCOPE#…` or `CLUSTER#…`, `sk` = `STATE`, `version` (a number every write
//! checks and raises: exactly one of two concurrent writers wins, the other re-reads and
//! decides again), `state` (the JSON of the state), `expires_at` (TTL).
//!
//! Every state this container loads or saves in DynamoDB is mirrored in its memory. When the
//! table fails (throttled, unreachable, denied), the rest of the invocation uses the mirror:
//! repeats of incidents this container has seen are still counted, and the summary line says
//! which store decided.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::iam;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::aws::gaps;
use crate::incident::GapKind;

/// How long a state outlives its last write (DynamoDB's TTL then deletes it).
const STATE_MEMORY_SECS: i64 = 2 * 24 * 3600;
/// The memory store forgets everything once it holds this many states.
const MEMORY_CAPACITY: usize = 10_000;

#[derive(Debug, Clone, thiserror::Error)]
#[error("the flood-control table could not be used ({operation}): {reason}; {fix}")]
pub struct StoreError {
    pub operation: &'static str,
    pub reason: String,
    pub fix: String,
}

/// A state and the version it was read at (0: it did not exist).
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub version: i64,
    pub value: T,
}

/// What a conditional save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// Written at this version.
    Written(i64),
    /// Someone wrote first: load again and decide again.
    Conflict,
}

/// This container's states, by key: (version, JSON).
#[derive(Debug, Default)]
pub struct MemoryStore {
    states: Mutex<HashMap<String, (i64, String)>>,
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, String)>> {
        // The lock is never held across an await.
        self.states.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn load(&self, key: &str) -> Option<(i64, String)> {
        self.lock().get(key).cloned()
    }

    fn save(&self, key: &str, expected: i64, json: String) -> Saved {
        let mut states = self.lock();
        let current = states.get(key).map_or(0, |(version, _)| *version);
        if current != expected {
            return Saved::Conflict;
        }
        if states.len() >= MEMORY_CAPACITY {
            states.clear();
        }
        states.insert(key.to_string(), (expected + 1, json));
        Saved::Written(expected + 1)
    }

    /// Keeps what DynamoDB said, unless this container already knows a newer version.
    fn mirror(&self, key: &str, version: i64, json: String) {
        let mut states = self.lock();
        let newer = states.get(key).is_some_and(|(known, _)| *known > version);
        if !newer {
            states.insert(key.to_string(), (version, json));
        }
    }
}

/// The state store of one invocation, and what it cost.
#[derive(Debug)]
pub struct Store {
    table: Option<(aws_sdk_dynamodb::Client, String)>,
    memory: Arc<MemoryStore>,
    calls: AtomicUsize,
    /// Why this invocation stopped using the table (None: it did not).
    fallback: Mutex<Option<String>>,
}

pub(crate) fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

pub(crate) fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn is_condition_failed<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    error.code() == Some("ConditionalCheckFailedException")
}

fn store_error<E>(
    operation: &'static str,
    action: &'static str,
    table: &str,
    error: &SdkError<E, HttpResponse>,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let gap = gaps::from_sdk_error(&format!("the table {table}"), action, error);
    StoreError {
        operation,
        reason: gap.reason,
        fix: if gap.kind == GapKind::AccessDenied {
            format!("grant {action} on table {table} to the function's role")
        } else {
            gap.fix
        },
    }
}

fn decode<T: DeserializeOwned + Default>(json: &str) -> T {
    // A state this version cannot read (written by another one) is started afresh: at worst
    // one repeated alert, never a lost one.
    serde_json::from_str(json).unwrap_or_default()
}

impl Store {
    /// State in the DynamoDB table, mirrored in (and falling back to) `memory`.
    pub fn dynamodb(
        client: aws_sdk_dynamodb::Client,
        table: impl Into<String>,
        memory: Arc<MemoryStore>,
    ) -> Store {
        Store {
            table: Some((client, table.into())),
            memory,
            calls: AtomicUsize::new(0),
            fallback: Mutex::new(None),
        }
    }

    /// State in this container's memory only.
    pub fn memory(memory: Arc<MemoryStore>) -> Store {
        Store {
            table: None,
            memory,
            calls: AtomicUsize::new(0),
            fallback: Mutex::new(None),
        }
    }

    /// "dynamodb", "memory", or "memory (fallback)" when the table failed this invocation.
    pub fn kind(&self) -> &'static str {
        match (&self.table, self.fallback().is_some()) {
            (Some(_), false) => "dynamodb",
            (Some(_), true) => "memory (fallback)",
            (None, _) => "memory",
        }
    }

    /// Why the table was given up for this invocation.
    pub fn fallback(&self) -> Option<String> {
        self.fallback
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// DynamoDB requests made so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }

    /// The table, unless this invocation fell back to memory.
    fn table(&self) -> Option<(&aws_sdk_dynamodb::Client, &str)> {
        let (client, table) = self.table.as_ref()?;
        self.fallback()
            .is_none()
            .then_some((client, table.as_str()))
    }

    fn give_up_table(&self, error: &StoreError) {
        tracing::warn!(error = %error, "flood control falls back to this container's memory for this invocation");
        let mut fallback = self.fallback.lock().unwrap_or_else(|e| e.into_inner());
        fallback.get_or_insert_with(|| error.to_string());
    }

    /// Loads the state under `key` (the default state at version 0 when there is none).
    pub async fn load<T: DeserializeOwned + Default>(&self, key: &str) -> Versioned<T> {
        if let Some((client, table)) = self.table() {
            self.calls.fetch_add(1, Ordering::Relaxed);
            let result = client
                .get_item()
                .table_name(table)
                .key("pk", s(key))
                .key("sk", s("STATE"))
                .consistent_read(true)
                .send()
                .await;
            match result {
                Ok(output) => {
                    let item = output.item();
                    let version = match item.and_then(|item| item.get("version")) {
                        Some(AttributeValue::N(version)) => version.parse().unwrap_or(0),
                        _ => 0,
                    };
                    let json = match item.and_then(|item| item.get("state")) {
                        Some(AttributeValue::S(json)) => json.clone(),
                        _ => String::new(),
                    };
                    if version > 0 {
                        self.memory.mirror(key, version, json.clone());
                    }
                    return Versioned {
                        version,
                        value: decode(&json),
                    };
                }
                Err(error) => self.give_up_table(&store_error(
                    "GetItem",
                    iam::DYNAMODB_GET_ITEM,
                    table,
                    &error,
                )),
            }
        }
        match self.memory.load(key) {
            Some((version, json)) => Versioned {
                version,
                value: decode(&json),
            },
            None => Versioned {
                version: 0,
                value: T::default(),
            },
        }
    }

    /// Saves `value` under `key` if its version is still `expected`.
    pub async fn save<T: Serialize>(
        &self,
        key: &str,
        expected: i64,
        value: &T,
        now_ms: i64,
    ) -> Saved {
        let json = serde_json::to_string(value).expect("flood-control states serialize");
        if let Some((client, table)) = self.table() {
            self.calls.fetch_add(1, Ordering::Relaxed);
            let version = expected + 1;
            let result = client
                .put_item()
                .table_name(table)
                .item("pk", s(key))
                .item("sk", s("STATE"))
                .item("version", n(version))
                .item("state", s(&json))
                .item("expires_at", n(now_ms.div_euclid(1000) + STATE_MEMORY_SECS))
                .condition_expression("attribute_not_exists(pk) OR version = :expected")
                .expression_attribute_values(":expected", n(expected))
                .send()
                .await;
            match result {
                Ok(_) => {
                    self.memory.mirror(key, version, json);
                    return Saved::Written(version);
                }
                Err(error) if is_condition_failed(&error) => return Saved::Conflict,
                Err(error) => self.give_up_table(&store_error(
                    "PutItem",
                    iam::DYNAMODB_PUT_ITEM,
                    table,
                    &error,
                )),
            }
        }
        self.memory.save(key, expected, json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_memory_store_saves_only_over_the_version_it_read() {
        let store = Store::memory(Arc::default());
        let first: Versioned<Vec<u32>> = store.load("k").await;
        assert_eq!(first.version, 0);
        assert_eq!(store.save("k", 0, &vec![1u32], 0).await, Saved::Written(1));
        assert_eq!(store.save("k", 0, &vec![2u32], 0).await, Saved::Conflict);
        let again: Versioned<Vec<u32>> = store.load("k").await;
        assert_eq!((again.version, again.value), (1, vec![1]));
        assert_eq!(store.kind(), "memory");
    }
}
