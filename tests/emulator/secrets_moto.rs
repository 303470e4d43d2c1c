//! Secrets never leave through what the investigation quotes, end to end against moto: a
//! revision with secrets in its command (first and later positions), entrypoint, health check,
//! environment values, labels and image user-info replaces one that ran fine; its task stops
//! with an exec reason that quotes the entrypoint and container overrides that carry secret
//! values. Nothing planted — whole, by its last 12 or middle 12 characters — reaches the
//! published machine JSON, any rendering of it (email, chat, subject), or the handler's
//! outcome (the summary line). An unreadable event with secret overrides is logged as its
//! outline only (src/redact/structure.rs; the log line is built from that outline).

use crate::support::events::task_state_change;
use crate::support::world::{container, manifest, stopped_task, Revision, World};
use crate::support::Moto;
use aws_sdk_ecs::types::LaunchType;
use ecs_doctor::handler::handle_value;
use ecs_doctor::render::render;

const PLANTED: &[&str] = &[
    "Pl4ntedCmdFirst-7Qx",
    "Pl4ntedCmdLater9Zk",
    "Pl4ntedEntrypointPw",
    "Pl4ntedHealthPw55",
    "Pl4ntedEnvValue99",
    "Pl4ntedLabelVal77",
    "Pl4ntedImagePw31",
    "Pl4ntedOverride42",
];

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| w.to_string()).collect()
}

fn pieces(secret: &str) -> Vec<&str> {
    let n = secret.len();
    let mid = n.saturating_sub(12) / 2;
    vec![
        secret,
        &secret[n.saturating_sub(12)..],
        &secret[mid..(mid + 12).min(n)],
    ]
}

fn assert_no_leak(what: &str, text: &str) {
    for secret in PLANTED {
        for piece in pieces(secret) {
            assert!(
                !text.contains(piece),
                "{secret} ({piece}) reached {what}:\n{text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_planted_secret_reaches_sns_or_the_summary_through_what_the_investigation_quotes() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    world.push("v1.4.1", &manifest('1'), None).await;
    let registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    let good = world
        .register(Revision {
            command: words(&["serve"]),
            ..Revision::of("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api:v1.4.1")
        })
        .await;
    let bad = world
        .register(Revision {
            environment: &["DB_PASSWORD", "LOG_LEVEL"],
            environment_value: "Pl4ntedEnvValue99",
            command: words(&[
                "--db-password",
                "Pl4ntedCmdFirst-7Qx",
                "serve",
                "--api-token",
                "Pl4ntedCmdLater9Zk",
            ]),
            entry_point: words(&["redis-server", "--requirepass", "Pl4ntedEntrypointPw"]),
            health_check: words(&[
                "CMD-SHELL",
                "cqlsh -u cassandra -p Pl4ntedHealthPw55 || exit 1",
            ]),
            labels: vec![("com.acme.db-password".into(), "Pl4ntedLabelVal77".into())],
            ..Revision::of(
                "ci:Pl4ntedImagePw31@123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api:v1.4.1",
            )
        })
        .await;
    world.service(&bad, None, LaunchType::Fargate).await;
    let _ = good;
    let app = world.app(&moto, &[]).await;
    let exec = "CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"redis-server --requirepass Pl4ntedEntrypointPw\": executable file not found in $PATH: unknown";
    let mut event = stopped_task(
        &bad,
        "b7a1e0f0-0000-4000-8000-0000000000e1",
        ("TaskFailedToStart", exec),
        container("v1.4.1", None, Some(exec)),
        "x86_64",
        &world.subnet,
    );
    event["detail"]["containers"][0]["image"] =
        format!("ci:Pl4ntedImagePw31@{registry}/team/api:v1.4.1").into();
    event["detail"]["overrides"] = serde_json::json!({"containerOverrides": [{"name": "api",
        "command": ["--db-password", "Pl4ntedOverride42"],
        "environment": [{"name": "DB_PASSWORD", "value": "Pl4ntedOverride42"}]}]});
    let outcome = handle_value(&app, event, None).await.expect("handled");
    assert_no_leak(
        "the handler's outcome (summary line)",
        &serde_json::to_string(&outcome).unwrap(),
    );
    let report = world.report().await;
    assert_eq!(
        report.category.id(),
        "bad-entrypoint-or-command",
        "{}",
        report.title
    );
    let changed = report
        .what_changed
        .as_ref()
        .expect("what changed is quoted");
    let changes: Vec<&str> = changed.changes.iter().map(|c| c.text.as_str()).collect();
    assert!(
        changes
            .iter()
            .any(|c| c.starts_with("entrypoint")
                && c.contains("redis-server --requirepass [REDACTED]")),
        "the entrypoint is shown by its structure: {changes:#?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c.contains("--db-password [REDACTED] serve --api-token [REDACTED]")),
        "{changes:#?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c.contains("cqlsh -u cassandra -p [REDACTED] || exit 1")),
        "{changes:#?}"
    );
    assert_no_leak(
        "the published machine JSON",
        &serde_json::to_string(&report).unwrap(),
    );
    let rendered = render(&report);
    for (name, text) in [
        ("the subject", &rendered.subject),
        ("the email", &rendered.text),
        ("the chat card", &rendered.chatbot),
        ("the JSON rendering", &rendered.json),
    ] {
        assert_no_leak(name, text);
    }
    // The registry and repository are still named: the user-info went, nothing else.
    assert!(rendered.text.contains("team/api"), "{}", rendered.text);
}

#[test]
fn an_unreadable_event_is_logged_as_its_outline_without_override_values() {
    let event = task_state_change(serde_json::json!({
        "lastStatus": 42, "overrides": {"containerOverrides": [{"name": "api",
            "environment": [{"name": "TOKEN", "value": "Pl4ntedOverride42"}]}]}}))
    .id("x")
    .build();
    let error = ecs_doctor::event::parse_value(event.clone()).expect_err("lastStatus is a number");
    let outline = ecs_doctor::redact::structure::outline(&event).to_string();
    assert_no_leak("the unreadable event's log line", &outline);
    assert!(outline.contains("\"lastStatus\":42"), "{outline}");
    assert!(!error.to_string().contains("Pl4nted"), "{error}");
}
