//! Incident history beyond the hour ECS keeps stopped tasks: every published report, scrubbed
//! as sent, in the flood-control table (DEDUPE_TABLE) for HISTORY_DAYS, keyed so that a
//! cluster's history is one query, newest first:
//!
//! - `pk` `history#CLUSTER`, `sk` `PUBLISHED_AT#INCIDENT_ID#KIND` (RFC 3339, milliseconds);
//! - `incident_id`, `kind` (opened, updated, follow-up, resolved, storm), `account`, `region`,
//!   `cluster`, `service`, `task_id`, `category`, `severity`, `title`, `occurrences`,
//!   `published_at` (ms), `report` (the machine JSON), `expires_at` (TTL, seconds).
//!
//! `ecs-doctor history` groups a query's items by incident; `ecs-doctor show` prints one
//! incident's (or task's) stored report as the alert showed it.

use crate::aws::actions;
use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::Serialize;

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
pub struct Incident {
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

fn pk(cluster: &str) -> String {
    format!("history#{cluster}")
}

/// Keeps one published report: `sent` is its machine JSON as published (scrubbed, and cut if
/// SNS's limit cut it). One PutItem.
pub async fn record(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    report: &Report,
    sent: &str,
    now_ms: i64,
    days: u32,
) -> Result<(), HistoryError> {
    let published = DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
    let resources = &report.resources;
    let cluster = resources.cluster.clone().unwrap_or_else(|| "-".into());
    let kind = if report.incident.message.is_empty() {
        "published"
    } else {
        report.incident.message.as_str()
    };
    let incident_id = if report.incident.id.is_empty() {
        report.event.id.clone().unwrap_or_default()
    } else {
        report.incident.id.clone()
    };
    let text = |value: &Option<String>| s(&crate::redact::scrub(value.as_deref().unwrap_or("")));
    dynamodb
        .put_item()
        .table_name(table)
        .item("pk", s(&pk(&cluster)))
        .item(
            "sk",
            s(&format!(
                "{}#{incident_id}#{kind}",
                published.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            )),
        )
        .item("incident_id", s(&incident_id))
        .item("kind", s(kind))
        .item("account", text(&resources.account))
        .item("region", text(&resources.region))
        .item("cluster", s(&cluster))
        .item("service", text(&resources.service))
        .item("task_id", text(&resources.task_id))
        .item("category", s(report.category.id()))
        .item("severity", s(report.severity.id()))
        .item("title", s(&crate::redact::scrub(&report.title)))
        .item("occurrences", n(report.incident.occurrences.max(1) as i64))
        .item("published_at", n(now_ms))
        .item("report", s(sent))
        .item("expires_at", n(now_ms / 1000 + i64::from(days) * 86_400))
        .send()
        .await
        .map_err(|error| HistoryError::Aws {
            operation: "PutItem",
            table: table.to_string(),
            reason: crate::gather::gaps::from_sdk_error(
                "the history",
                actions::DYNAMODB_PUT_ITEM,
                &error,
            )
            .reason,
        })?;
    Ok(())
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub cluster: String,
    pub service: Option<String>,
    pub task: Option<String>,
    pub incident: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// Stop after this many messages.
    pub limit: usize,
}

/// The messages of a cluster, newest first (one query, paged).
pub async fn entries(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    query: &Query,
) -> Result<Vec<Entry>, HistoryError> {
    let mut request = dynamodb
        .query()
        .table_name(table)
        .scan_index_forward(false)
        .expression_attribute_values(":pk", s(&pk(&query.cluster)));
    let mut condition = "pk = :pk".to_string();
    if let Some(since) = query.since {
        condition.push_str(" AND sk >= :since");
        request = request.expression_attribute_values(
            ":since",
            s(&since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
    }
    let mut filters = Vec::new();
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
    if !filters.is_empty() {
        request = request.filter_expression(filters.join(" AND "));
    }
    let request = request.key_condition_expression(condition);
    let mut found = Vec::new();
    let mut pages = request.into_paginator().items().send();
    while let Some(item) = pages.next().await {
        let item = item.map_err(|error| HistoryError::Aws {
            operation: "Query",
            table: table.to_string(),
            reason: crate::gather::gaps::from_sdk_error(
                "the history",
                actions::DYNAMODB_QUERY,
                &error,
            )
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
pub fn incidents(entries: &[Entry]) -> Vec<Incident> {
    let mut by_id: BTreeMap<&str, Incident> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for entry in entries {
        let incident = by_id.entry(&entry.incident_id).or_insert_with(|| {
            order.push(&entry.incident_id);
            Incident {
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
/// or a task id with its cluster.
pub fn show_query(target: &str, cluster: Option<&str>) -> Result<Query, HistoryError> {
    let parts: Vec<&str> = target.split('/').collect();
    if parts.len() >= 4 && parts[3].contains(':') {
        return Ok(Query {
            cluster: parts[2].to_string(),
            incident: Some(target.to_string()),
            ..Query::default()
        });
    }
    if let Some(arn) = crate::arn::Arn::parse(target) {
        let mut path = arn.resource.split('/');
        if let (Some("task"), Some(cluster), Some(id)) = (path.next(), path.next(), path.next()) {
            return Ok(Query {
                cluster: cluster.to_string(),
                task: Some(id.to_string()),
                ..Query::default()
            });
        }
    }
    match cluster {
        Some(cluster) => Ok(Query {
            cluster: cluster.to_string(),
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

    #[test]
    fn show_reads_incident_ids_task_arns_and_task_ids() {
        let incident = show_query("1/eu-west-1/prod/service:api/ecs-svc/1", None).unwrap();
        assert_eq!(incident.cluster, "prod");
        let task = show_query("arn:aws:ecs:eu-west-1:1:task/prod/0f3a", None).unwrap();
        assert_eq!(
            (task.cluster.as_str(), task.task.as_deref()),
            ("prod", Some("0f3a"))
        );
        assert!(show_query("0f3a", None).is_err());
        assert_eq!(
            show_query("0f3a", Some("prod")).unwrap().task.as_deref(),
            Some("0f3a")
        );
        let now = DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        assert_eq!(
            parse_since("7d", now).unwrap(),
            now - chrono::Duration::days(7)
        );
        assert!(parse_since("soon", now).is_err());
    }
}
