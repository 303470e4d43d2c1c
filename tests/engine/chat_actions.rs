//! The buttons each card shows, found the way Amazon Q Developer finds them: the card's
//! variables read by their path (`event.metadata.additionalContext.NAME`), every criterion
//! (`HAS_VALUE`) checked, the command text expanded. A missing variable hides the button.

use ecs_doctor::incident::Incident;
use ecs_doctor::render::actions::{self, CHAT_ACTIONS, VARIABLE_PATH};
use ecs_doctor::render::chatbot;
use ecs_doctor::{diagnose, parse, Report};
use serde_json::Value;

fn report_of(fixture: &str) -> Report {
    let bytes = std::fs::read(format!(
        "{}/events/{fixture}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    diagnose(&Incident::from_event(parse(&bytes).unwrap()))
}

/// The buttons a card shows, with the commands they run: what Amazon Q does with the card.
fn buttons(card: &Value) -> Vec<(&'static str, String)> {
    let event = serde_json::json!({ "event": card });
    let read = |path: &str| -> Option<String> {
        let mut at = &event;
        for part in path.split('.') {
            at = at.get(part)?;
        }
        at.as_str().map(str::to_string)
    };
    CHAT_ACTIONS
        .iter()
        .filter_map(|action| {
            let mut command = action.command.to_string();
            let mut names: Vec<&&str> = action.variables.iter().collect();
            names.sort_by_key(|name| std::cmp::Reverse(name.len()));
            for name in names {
                let value = read(&format!("{VARIABLE_PATH}{name}"))?;
                command = command.replace(&format!("${name}"), &value);
            }
            Some((action.name, command))
        })
        .collect()
}

#[test]
fn a_paused_deployment_offers_continue_and_roll_back_with_its_hook() {
    let report = report_of("deployment-paused");
    let card = chatbot::notification(&report);
    assert_eq!(card["metadata"]["enableCustomActions"], true);
    let shown = buttons(&card);
    let names: Vec<&str> = shown.iter().map(|(name, _)| *name).collect();
    assert!(
        names.contains(&"ecs-doctor-continue") && names.contains(&"ecs-doctor-abort"),
        "{names:?}"
    );
    assert!(!names.contains(&"ecs-doctor-rollback"), "{names:?}");
    let continue_command = &shown
        .iter()
        .find(|(name, _)| *name == "ecs-doctor-continue")
        .unwrap()
        .1;
    assert_eq!(
        continue_command,
        "ecs continue-service-deployment --service-deployment-arn arn:aws:ecs:us-west-2:123456789012:service-deployment/my-cluster/my-service/0EYSiB0qap8xf0N76FsbE --hook-id ecs-pause-e7tK9G_WRJqNF_EOMjztDXfKenlJuEUVjsNStf4WLKw --action CONTINUE --region us-west-2"
    );
    // What the card offers is what the library says it offers.
    let offered: Vec<(&str, String)> = actions::offered(&report)
        .into_iter()
        .map(|(a, c)| (a.name, c))
        .collect();
    assert_eq!(shown, offered);
}

#[test]
fn a_missing_tag_offers_a_new_deployment_and_the_log_only_where_it_has_them() {
    let report = report_of("image-pull-not-found");
    let names: Vec<&str> = buttons(&chatbot::notification(&report))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(names.contains(&"ecs-doctor-redeploy"), "{names:?}");
    assert!(!names.contains(&"ecs-doctor-continue"), "{names:?}");
    // No investigation ran: no last good revision, so no rollback button.
    assert!(!names.contains(&"ecs-doctor-rollback"), "{names:?}");
}

#[test]
fn a_last_good_revision_offers_the_rollback_and_a_benign_stop_offers_nothing_that_acts() {
    let mut report = report_of("missing-env-or-config");
    report.what_changed = Some(ecs_doctor::report::WhatChanged {
        from: "worker:6".into(),
        to: "worker:7".into(),
        registered_by: None,
        registered_at: None,
        basis: "the previous revision".into(),
        changes: Vec::new(),
    });
    let shown = buttons(&chatbot::notification(&report));
    let rollback = shown
        .iter()
        .find(|(name, _)| *name == "ecs-doctor-rollback")
        .expect("rollback");
    assert!(
        rollback.1.contains("--task-definition worker:6"),
        "{}",
        rollback.1
    );
    let benign = report_of("task-completed");
    let acting: Vec<&str> = buttons(&chatbot::notification(&benign))
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| *n != "ecs-doctor-logs")
        .collect();
    assert!(acting.is_empty(), "{acting:?}");
}
