//! The command line, run as a user runs it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn ecs_doctor(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecs-doctor"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn explain_prints_the_json_contract_fields() {
    let output = ecs_doctor(&["explain", "events/oom.json", "--format", "json"], None);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["category"], "oom");
    assert_eq!(report["severity"], "high");
    assert_eq!(report["notify"], true);
    assert!(report["title"]
        .as_str()
        .unwrap()
        .starts_with("Out of memory"));
}

#[test]
fn explain_reads_standard_input_and_log_lines() {
    let event = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/events/missing-env-or-config.json"
    ))
    .unwrap();
    let output = ecs_doctor(
        &[
            "explain",
            "-",
            "--logs",
            "events/missing-env-or-config.log",
            "--format",
            "json",
        ],
        Some(&event),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["category"], "missing-env-or-config");
}

#[test]
fn explain_chatbot_is_a_custom_notification() {
    let output = ecs_doctor(&["explain", "events/oom.json", "--format", "chatbot"], None);
    assert!(output.status.success(), "{}", stderr(&output));
    let message: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(message["version"], "1.0");
    assert_eq!(message["source"], "custom");
}

#[test]
fn malformed_json_is_a_clear_error_with_its_position() {
    let output = ecs_doctor(
        &["explain", "-"],
        Some(b"{\"source\": \"aws.ecs\",\n oops}"),
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("not valid JSON") && message.contains("line 2"),
        "{message}"
    );
}

#[test]
fn a_non_ecs_event_names_its_source() {
    let output = ecs_doctor(
        &["explain", "-"],
        Some(br#"{"version":"0","id":"1","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}"#),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("'aws.ec2'"), "{}", stderr(&output));
}

#[test]
fn a_missing_file_says_which() {
    let output = ecs_doctor(&["explain", "events/no-such-event.json"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("events/no-such-event.json"));
}

#[test]
fn rules_lists_every_rule_and_explain_category_gives_the_long_form() {
    let output = ecs_doctor(&["rules"], None);
    assert!(output.status.success());
    assert!(stdout(&output).contains("oom-killed"));
    let output = ecs_doctor(&["explain-category", "secrets-kms"], None);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(
        text.contains("How to fix it") && text.contains("kms:Decrypt"),
        "{text}"
    );
    let output = ecs_doctor(&["explain-category", "no-such-category"], None);
    assert_eq!(output.status.code(), Some(2));
}
