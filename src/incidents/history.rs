//! IncidentRow history beyond the hour ECS keeps stopped tasks: every published report, scrubbed
//! as sent, in the flood-control table (DEDUPE_TABLE) for HISTORY_DAYS, keyed so that a
//! cluster's history is one query, newest first:
//!
//! - `pk` `history#ACCOUNT#REGION#CLUSTER`: a cluster is its account, region and name (two
//!   accounts' `prod` clusters are two histories);
//! - `sk` `EVENT_TIME#EVENT_ID` (RFC 3339, milliseconds): the event that was published, written
//!   once (a conditional write), so a retried invocation cannot keep it twice;
//! - `incident_id`, `kind` (opened, updated, follow-up, resolved, storm, storm-update),
//!   `event_id`, `account`, `region`, `cluster`, `service`, `task_id`, `category`, `severity`,
//!   `title`, `occurrences`, `published_at` (ms), `report` (the machine JSON), `expires_at` (TTL,
//!   seconds).
//!
//! DynamoDB deletes expired items when it gets to them (typically within a few days), so a
//! read leaves out the items whose `expires_at` has passed.
//!
//! `ecs-doctor history` groups a query's items by incident; `ecs-doctor show` prints one
//! incident's (or task's) stored report as the alert showed it.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::iam;
use crate::incidents::store::{n, s};
use crate::report::Report;

/// One published message, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub incident_id: String,
    pub kind: String,
    pub account: String,
    pub region: String,
    pub cluster: String,
    pub service: String,
    pub task_id: String,
    pub category: String,
    pub severity: String,
    pub title: String,
    pub occurrences: u64,
    pub published_at: DateTime<Utc>,
    #[serde(skip)]
    pub report: String,
}

/// One incident, from its messages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentRow {
    pub id: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub category: String,
    pub severity: String,
    pub title: String,
    pub service: String,
    pub occurrences: u64,
    /// open, or resolved.
    pub state: String,
    pub messages: usize,
    pub task_ids: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{operation} on table {table} failed: {reason}")]
    Aws {
        operation: &'static str,
        table: String,
        reason: String,
    },
    #[error("{0}")]
    Usage(String),
}

/// A cluster as the history keys it: its account, region and name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterKey {
    pub account: String,
    pub region: String,
    pub name: String,
}

impl ClusterKey {
    /// A cluster ARN (`arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`), or a name in `account` and
    /// `region`.
    pub fn parse(
        cluster: &str,
        account: Option<&str>,
        region: Option<&str>,
    ) -> Result<ClusterKey, HistoryError> {
        if let Some(arn) = crate::arn::Arn::parse(cluster) {
            let name = arn.resource.strip_prefix("cluster/").ok_or_else(|| {
                HistoryError::Usage(format!(
                    "--cluster {cluster}: expected a cluster ARN (…:cluster/NAME) or a name"
                ))
            })?;
            return Ok(ClusterKey {
                account: arn.account.to_string(),
                region: arn.region.to_string(),
                name: name.to_string(),
            });
        }
        match (account, region) {
            (Some(account), Some(region)) => Ok(ClusterKey {
                account: account.to_string(),
                region: region.to_string(),
                name: cluster.to_string(),
            }),
            _ => Err(HistoryError::Usage(format!(
                "cluster {cluster} needs its account and region: pass the cluster's ARN, or --account and --region"
            ))),
        }
    }

    fn pk(&self) -> String {
        format!("history#{}#{}#{}", self.account, self.region, self.name)
    }

    /// The cluster's ARN, for `--cluster`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:ecs:{}:{}:cluster/{}",
            self.region, self.account, self.name
        )
    }
}

impl std::fmt::Display for ClusterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} {})", self.name, self.account, self.region)
    }
}

/// What keeping a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    Written,
    /// The event's report was kept before (a retried invocation): nothing was written.
    AlreadyKept,
}

/// Keeps one published report: `sent` is its machine JSON as published (scrubbed, and cut if
/// SNS's limit cut it). One conditional PutItem, keyed by the event: a retried invocation
/// finds its report kept.
pub async fn record(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    report: &Report,
    sent: &str,
    now_ms: i64,
    days: u32,
) -> Result<Kept, HistoryError> {
    let mut request = dynamodb
        .put_item()
        .table_name(table)
        .condition_expression("attribute_not_exists(sk)");
    for (name, value) in item(report, sent, now_ms, days) {
        request = request.item(name, value);
    }
    match request.send().await {
        Ok(_) => Ok(Kept::Written),
        Err(error) if error.code() == Some("ConditionalCheckFailedException") => {
            Ok(Kept::AlreadyKept)
        }
        Err(error) => Err(HistoryError::Aws {
            operation: "PutItem",
            table: table.to_string(),
            reason: crate::aws::gaps::from_sdk_error("the history", iam::DYNAMODB_PUT_ITEM, &error)
                .reason,
        }),
    }
}

/// The item of one published report (pure).
fn item(
    report: &Report,
    sent: &str,
    now_ms: i64,
    days: u32,
) -> Vec<(&'static str, AttributeValue)> {
    let resources = &report.resources;
    let part = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".into());
    let cluster = ClusterKey {
        account: part(&resources.account),
        region: part(&resources.region),
        name: part(&resources.cluster),
    };
    let kind = if report.incident.message.is_empty() {
        "published"
    } else {
        report.incident.message.as_str()
    };
    let event_id = report
        .event
        .id
        .clone()
        .unwrap_or_else(|| format!("published-{now_ms}"));
    let incident_id = if report.incident.id.is_empty() {
        event_id.clone()
    } else {
        report.incident.id.clone()
    };
    // The event's own time: the same on every retry, so the key is too.
    let event_time = report
        .event
        .time
        .as_deref()
        .and_then(|time| DateTime::parse_from_rfc3339(time).ok())
        .map(|time| time.with_timezone(&Utc))
        .or_else(|| DateTime::from_timestamp_millis(now_ms))
        .unwrap_or_default();
    let text = |value: &Option<String>| s(&crate::redact::scrub(value.as_deref().unwrap_or("")));
    vec![
        ("pk", s(&cluster.pk())),
        (
            "sk",
            s(&format!(
                "{}#{event_id}",
                event_time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            )),
        ),
        ("incident_id", s(&incident_id)),
        ("event_id", s(&event_id)),
        ("kind", s(kind)),
        ("account", text(&resources.account)),
        ("region", text(&resources.region)),
        ("cluster", s(&cluster.name)),
        ("service", text(&resources.service)),
        ("task_id", text(&resources.task_id)),
        ("category", s(report.category.id())),
        ("severity", s(report.severity.id())),
        ("title", s(&crate::redact::scrub(&report.title))),
        ("occurrences", n(report.incident.occurrences.max(1) as i64)),
        ("published_at", n(now_ms)),
        ("report", s(sent)),
        ("expires_at", n(now_ms / 1000 + i64::from(days) * 86_400)),
    ]
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub cluster: ClusterKey,
    pub service: Option<String>,
    pub task: Option<String>,
    pub incident: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// Stop after this many messages.
    pub limit: usize,
}

/// The messages of a cluster, newest first (one query, paged); items whose TTL has passed at
/// `now` are left out, though DynamoDB has not deleted them yet.
pub async fn entries(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    query: &Query,
    now: DateTime<Utc>,
) -> Result<Vec<Entry>, HistoryError> {
    let mut request = dynamodb
        .query()
        .table_name(table)
        .scan_index_forward(false)
        .expression_attribute_values(":pk", s(&query.cluster.pk()));
    let mut condition = "pk = :pk".to_string();
    if let Some(since) = query.since {
        condition.push_str(" AND sk >= :since");
        request = request.expression_attribute_values(
            ":since",
            s(&since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
    }
    let mut filters = vec!["#expires_at > :now".to_string()];
    request = request
        .expression_attribute_names("#expires_at", "expires_at")
        .expression_attribute_values(":now", n(now.timestamp()));
    for (name, value) in [
        ("service", &query.service),
        ("task_id", &query.task),
        ("incident_id", &query.incident),
    ] {
        if let Some(value) = value {
            filters.push(format!("#{name} = :{name}"));
            request = request
                .expression_attribute_names(format!("#{name}"), name)
                .expression_attribute_values(format!(":{name}"), s(value));
        }
    }
    let request = request
        .filter_expression(filters.join(" AND "))
        .key_condition_expression(condition);
    let mut found = Vec::new();
    let mut pages = request.into_paginator().items().send();
    while let Some(item) = pages.next().await {
        let item = item.map_err(|error| HistoryError::Aws {
            operation: "Query",
            table: table.to_string(),
            reason: crate::aws::gaps::from_sdk_error("the history", iam::DYNAMODB_QUERY, &error)
                .reason,
        })?;
        found.push(entry(&item));
        if query.limit > 0 && found.len() >= query.limit {
            break;
        }
    }
    Ok(found)
}

fn entry(item: &std::collections::HashMap<String, AttributeValue>) -> Entry {
    let text = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    let number = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or_default()
    };
    Entry {
        incident_id: text("incident_id"),
        kind: text("kind"),
        account: text("account"),
        region: text("region"),
        cluster: text("cluster"),
        service: text("service"),
        task_id: text("task_id"),
        category: text("category"),
        severity: text("severity"),
        title: text("title"),
        occurrences: number("occurrences").max(0) as u64,
        published_at: DateTime::from_timestamp_millis(number("published_at")).unwrap_or_default(),
        report: text("report"),
    }
}

/// Groups messages (newest first) into incidents, newest first.
pub fn incidents(entries: &[Entry]) -> Vec<IncidentRow> {
    let mut by_id: BTreeMap<&str, IncidentRow> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for entry in entries {
        let incident = by_id.entry(&entry.incident_id).or_insert_with(|| {
            order.push(&entry.incident_id);
            IncidentRow {
                id: entry.incident_id.clone(),
                first_seen: entry.published_at,
                last_seen: entry.published_at,
                category: entry.category.clone(),
                severity: entry.severity.clone(),
                title: entry.title.clone(),
                service: entry.service.clone(),
                occurrences: 0,
                state: if entry.kind == "resolved" {
                    "resolved"
                } else {
                    "open"
                }
                .into(),
                messages: 0,
                task_ids: Vec::new(),
            }
        });
        incident.messages += 1;
        incident.first_seen = incident.first_seen.min(entry.published_at);
        incident.last_seen = incident.last_seen.max(entry.published_at);
        incident.occurrences = incident.occurrences.max(entry.occurrences);
        if entry.kind != "resolved" && entry.kind != "follow-up" {
            // The diagnosis: the newest opening or update names the cause.
            if incident.title.is_empty() || incident.category == "steady-state" {
                incident.title = entry.title.clone();
                incident.category = entry.category.clone();
                incident.severity = entry.severity.clone();
            }
        }
        if !entry.task_id.is_empty() && !incident.task_ids.contains(&entry.task_id) {
            incident.task_ids.push(entry.task_id.clone());
        }
    }
    order
        .into_iter()
        .filter_map(|id| by_id.remove(id))
        .collect()
}

/// `--since 7d`, `12h`, `30m`, or an RFC 3339 time.
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, HistoryError> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let amount: i64 = number.parse().map_err(|_| {
        HistoryError::Usage(format!(
            "--since {text}: expected 7d, 12h, 30m or an RFC 3339 time"
        ))
    })?;
    let span = match unit {
        "d" => chrono::Duration::days(amount),
        "h" => chrono::Duration::hours(amount),
        "m" => chrono::Duration::minutes(amount),
        _ => {
            return Err(HistoryError::Usage(format!(
                "--since {text}: expected 7d, 12h, 30m or an RFC 3339 time"
            )))
        }
    };
    Ok(now - span)
}

/// What `show` looks for: an incident id (`ACCOUNT/REGION/CLUSTER/service:NAME/…`), a task ARN,
/// or a task id with its cluster (an ARN, or a name in `account` and `region`).
pub fn show_query(
    target: &str,
    cluster: Option<&str>,
    account: Option<&str>,
    region: Option<&str>,
) -> Result<Query, HistoryError> {
    let parts: Vec<&str> = target.split('/').collect();
    if parts.len() >= 4 && parts[3].contains(':') {
        return Ok(Query {
            cluster: ClusterKey {
                account: parts[0].to_string(),
                region: parts[1].to_string(),
                name: parts[2].to_string(),
            },
            incident: Some(target.to_string()),
            ..Query::default()
        });
    }
    if let Some(arn) = crate::arn::Arn::parse(target) {
        let mut path = arn.resource.split('/');
        if let (Some("task"), Some(cluster), Some(id)) = (path.next(), path.next(), path.next()) {
            return Ok(Query {
                cluster: ClusterKey {
                    account: arn.account.to_string(),
                    region: arn.region.to_string(),
                    name: cluster.to_string(),
                },
                task: Some(id.to_string()),
                ..Query::default()
            });
        }
    }
    match cluster {
        Some(cluster) => Ok(Query {
            cluster: ClusterKey::parse(cluster, account, region)?,
            task: Some(target.to_string()),
            ..Query::default()
        }),
        None => Err(HistoryError::Usage(format!(
            "'{target}' is neither an incident id nor a task ARN: give --cluster with a task id"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_named_clusters_of_two_accounts_or_regions_are_two_histories() {
        let arn = ClusterKey::parse(
            "arn:aws:ecs:eu-west-1:111122223333:cluster/prod",
            None,
            None,
        )
        .unwrap();
        assert_eq!(arn, key("111122223333", "eu-west-1", "prod"));
        let other_account =
            ClusterKey::parse("prod", Some("444455556666"), Some("eu-west-1")).unwrap();
        let other_region =
            ClusterKey::parse("prod", Some("111122223333"), Some("us-east-1")).unwrap();
        assert_ne!(arn.pk(), other_account.pk());
        assert_ne!(arn.pk(), other_region.pk());
        assert!(ClusterKey::parse("prod", None, Some("eu-west-1")).is_err());
    }

    #[test]
    fn a_retried_invocation_writes_the_same_key() {
        let event = crate::parse(include_bytes!("../../events/oom.json")).unwrap();
        let report = crate::diagnose(&crate::Incident::from_event(event));
        let first = item(&report, "{}", 1_764_000_000_000, 30);
        let retry = item(&report, "{}", 1_764_000_090_000, 30);
        let key_of = |item: &[(&str, AttributeValue)]| {
            item.iter()
                .filter(|(name, _)| *name == "pk" || *name == "sk")
                .map(|(_, value)| value.as_s().unwrap().clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(key_of(&first), key_of(&retry));
        assert_eq!(
            key_of(&first)[0],
            "history#111122223333#eu-west-1#prod",
            "account, region and cluster"
        );
    }

    fn entry(id: &str, kind: &str, minute: i64, occurrences: u64) -> Entry {
        Entry {
            incident_id: id.into(),
            kind: kind.into(),
            account: "1".into(),
            region: "eu-west-1".into(),
            cluster: "prod".into(),
            service: "api".into(),
            task_id: format!("t{minute}"),
            category: if kind == "resolved" {
                "steady-state"
            } else {
                "oom"
            }
            .into(),
            severity: "high".into(),
            title: format!("{kind} {id}"),
            occurrences,
            published_at: DateTime::from_timestamp(1_764_000_000 + minute * 60, 0).unwrap(),
            report: String::new(),
        }
    }

    #[test]
    fn messages_become_incidents_newest_first() {
        // Newest first, as the query returns them.
        let entries = [
            entry("b", "opened", 50, 1),
            entry("a", "resolved", 40, 12),
            entry("a", "follow-up", 20, 9),
            entry("a", "opened", 10, 1),
        ];
        let incidents = incidents(&entries);
        assert_eq!(incidents.len(), 2);
        assert_eq!(
            (incidents[0].id.as_str(), incidents[0].state.as_str()),
            ("b", "open")
        );
        let a = &incidents[1];
        assert_eq!(
            (a.state.as_str(), a.occurrences, a.messages),
            ("resolved", 12, 3)
        );
        assert_eq!(
            a.category, "oom",
            "the diagnosis, not the resolution, names it"
        );
        assert_eq!(a.first_seen, entries[3].published_at);
        assert_eq!(a.last_seen, entries[1].published_at);
    }

    fn key(account: &str, region: &str, name: &str) -> ClusterKey {
        ClusterKey {
            account: account.into(),
            region: region.into(),
            name: name.into(),
        }
    }

    #[test]
    fn show_reads_incident_ids_task_arns_and_task_ids() {
        let incident =
            show_query("1/eu-west-1/prod/service:api/ecs-svc/1", None, None, None).unwrap();
        assert_eq!(incident.cluster, key("1", "eu-west-1", "prod"));
        let task = show_query("arn:aws:ecs:eu-west-1:1:task/prod/0f3a", None, None, None).unwrap();
        assert_eq!(
            (task.cluster, task.task.as_deref()),
            (key("1", "eu-west-1", "prod"), Some("0f3a"))
        );
        assert!(show_query("0f3a", None, None, None).is_err());
        let by_id = show_query("0f3a", Some("prod"), Some("2"), Some("us-east-1")).unwrap();
        assert_eq!(
            (by_id.cluster, by_id.task.as_deref()),
            (key("2", "us-east-1", "prod"), Some("0f3a"))
        );
        let now = DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        assert_eq!(
            parse_since("7d", now).unwrap(),
            now - chrono::Duration::days(7)
        );
        assert!(parse_since("soon", now).is_err());
    }
}
