//! The history against moto's DynamoDB: clusters of the same name in two accounts (or regions)
//! keep two histories; a retried invocation keeps its event's report once (a conditional write);
//! an item past its TTL is not listed although the table still holds it (DynamoDB deletes
//! expired items late, typically within a few days, as its TTL documentation says; moto does not
//! delete them at all, which is how the test sees one).

use crate::support::flood::create_incident_table;
use crate::support::Moto;
use chrono::{DateTime, Utc};
use ecs_doctor::incidents::history::{entries, record, ClusterKey, Kept, Query};
use ecs_doctor::{diagnose, parse, Incident, Report};

const TABLE: &str = "ecs-doctor-incidents";
/// 2026-11-20T10:05:00Z, a few minutes after the fixtures' events.
const NOW_MS: i64 = 1_795_169_100_000;

/// The oom fixture's report, in `account`, with its own event id.
fn report(account: &str, event_id: &str) -> Report {
    let mut event: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/events/oom.json")).unwrap(),
    )
    .unwrap();
    event["id"] = event_id.into();
    event["account"] = account.into();
    for pointer in ["/resources/0", "/detail/taskArn", "/detail/clusterArn"] {
        let value = event.pointer_mut(pointer).unwrap();
        *value = value
            .as_str()
            .unwrap()
            .replace("111122223333", account)
            .into();
    }
    let event = parse(&serde_json::to_vec(&event).unwrap()).unwrap();
    diagnose(&Incident::from_event(event))
}

fn query(account: &str) -> Query {
    Query {
        cluster: ClusterKey {
            account: account.into(),
            region: "eu-west-1".into(),
            name: "prod".into(),
        },
        ..Query::default()
    }
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_prod_clusters_keep_two_histories() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    create_incident_table(&sdk, TABLE).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    for (account, event_id) in [("111122223333", "e-one"), ("444455556666", "e-two")] {
        let kept = record(
            &dynamodb,
            TABLE,
            &report(account, event_id),
            "{}",
            NOW_MS,
            30,
        )
        .await
        .unwrap();
        assert_eq!(kept, Kept::Written);
    }
    for account in ["111122223333", "444455556666"] {
        let listed = entries(&dynamodb, TABLE, &query(account), at(NOW_MS))
            .await
            .unwrap();
        assert_eq!(listed.len(), 1, "{account}: {listed:#?}");
        assert_eq!(listed[0].account, account);
        assert_eq!(listed[0].cluster, "prod");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_invocation_keeps_its_events_report_once() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    create_incident_table(&sdk, TABLE).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let report = report("111122223333", "e-retried");
    let first = record(&dynamodb, TABLE, &report, "{}", NOW_MS, 30).await;
    // Lambda's retry of the same event, a minute and a half later.
    let retry = record(&dynamodb, TABLE, &report, "{}", NOW_MS + 90_000, 30).await;
    assert_eq!(first.unwrap(), Kept::Written);
    assert_eq!(retry.unwrap(), Kept::AlreadyKept);
    let listed = entries(
        &dynamodb,
        TABLE,
        &query("111122223333"),
        at(NOW_MS + 90_000),
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 1, "{listed:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_past_its_ttl_is_not_listed_though_the_table_still_holds_it() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    create_incident_table(&sdk, TABLE).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    // Kept for one day, read two days later; and a fresh one beside it.
    let old = report("111122223333", "e-old");
    record(&dynamodb, TABLE, &old, "{}", NOW_MS, 1)
        .await
        .unwrap();
    let fresh = report("111122223333", "e-fresh");
    record(&dynamodb, TABLE, &fresh, "{}", NOW_MS + 2 * 86_400_000, 30)
        .await
        .unwrap();
    let later = at(NOW_MS + 2 * 86_400_000);
    let held = dynamodb
        .query()
        .table_name(TABLE)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(
                "history#111122223333#eu-west-1#prod".into(),
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(held.count(), 2, "the table still holds the expired item");
    let listed = entries(&dynamodb, TABLE, &query("111122223333"), later)
        .await
        .unwrap();
    let events: Vec<&str> = listed.iter().map(|e| e.incident_id.as_str()).collect();
    assert_eq!(listed.len(), 1, "{events:?}");
    assert_eq!(
        listed[0].published_at,
        at(NOW_MS + 2 * 86_400_000),
        "the fresh one"
    );
}
