//! The log lines an SRE recognises, language by language: each refines an exit code into the
//! cause and quotes the line that shows it.

use ecs_doctor::incident::{Incident, LogTail};
use ecs_doctor::{diagnose, parse, Category};

use crate::support::events::task_state_change;

/// Diagnoses a task whose `api` container exited `exit_code` with these last log lines.
fn diagnose_with_log(exit_code: i32, lines: &[&str]) -> ecs_doctor::Report {
    let event = task_state_change(serde_json::json!({
        "clusterArn": "arn:aws:ecs:eu-west-1:111122223333:cluster/prod",
        "taskArn": "arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef0123456789abcdef",
        "taskDefinitionArn": "arn:aws:ecs:eu-west-1:111122223333:task-definition/api:7",
        "group": "service:api", "lastStatus": "STOPPED", "stopCode": "EssentialContainerExited",
        "stoppedReason": "Essential container in task exited",
        "containers": [{"name": "api", "exitCode": exit_code}]
    }))
    .id("log-1")
    .at("2026-11-20T10:01:40Z")
    .from("111122223333", "eu-west-1")
    .build();
    let mut incident = Incident::from_event(parse(&serde_json::to_vec(&event).unwrap()).unwrap());
    incident.logs.push(LogTail {
        container: "api".into(),
        lines: lines.iter().map(|l| l.to_string()).collect(),
        ..LogTail::default()
    });
    diagnose(&incident)
}

fn assert_cause(exit_code: i32, lines: &[&str], category: Category, quoted: &str) {
    let report = diagnose_with_log(exit_code, lines);
    assert_eq!(
        report.category, category,
        "rule {} for {lines:?}",
        report.rule
    );
    assert!(
        report.evidence.iter().any(|e| e.text.contains(quoted)),
        "the evidence does not quote {quoted:?}: {:#?}",
        report.evidence
    );
}

#[test]
fn python_traceback_quotes_the_exception_not_the_frames() {
    assert_cause(
        1,
        &[
            "Traceback (most recent call last):",
            "  File \"/app/main.py\", line 3, in <module>",
            "    run()",
            "ValueError: invalid literal for int() with base 10: 'abc'",
        ],
        Category::AppCrash,
        "ValueError: invalid literal",
    );
}

#[test]
fn java_exception_in_main_is_quoted() {
    assert_cause(
        1,
        &[
            "Exception in thread \"main\" java.lang.IllegalStateException: ledger not initialised",
            "\tat com.example.Main.main(Main.java:12)",
        ],
        Category::AppCrash,
        "IllegalStateException",
    );
}

#[test]
fn go_panic_is_quoted() {
    assert_cause(
        2,
        &[
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "goroutine 1 [running]:",
        ],
        Category::AppCrash,
        "panic: runtime error",
    );
}

#[test]
fn node_unhandled_error_is_quoted() {
    assert_cause(
        1,
        &[
            "/app/server.js:14",
            "TypeError: Cannot read properties of undefined (reading 'port')",
            "    at Object.<anonymous> (/app/server.js:14:22)",
        ],
        Category::AppCrash,
        "TypeError: Cannot read properties",
    );
}

#[test]
fn java_heap_and_node_heap_are_oom() {
    assert_cause(
        1,
        &["Exception in thread \"worker\" java.lang.OutOfMemoryError: Java heap space"],
        Category::Oom,
        "Java heap space",
    );
    assert_cause(
        134,
        &["FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"],
        Category::Oom,
        "JavaScript heap out of memory",
    );
}

#[test]
fn sigkill_with_a_runtime_oom_in_the_log_is_oom() {
    assert_cause(
        137,
        &["fatal error: runtime: out of memory"],
        Category::Oom,
        "runtime: out of memory",
    );
}

#[test]
fn denied_aws_calls_point_at_the_task_role() {
    assert_cause(
        1,
        &["botocore.exceptions.NoCredentialsError: Unable to locate credentials"],
        Category::TaskRoleAccessDenied,
        "Unable to locate credentials",
    );
    assert_cause(1, &["An error occurred (AccessDeniedException) when calling the GetItem operation: User: arn:aws:sts::1:assumed-role/api-task/x is not authorized to perform: dynamodb:GetItem"], Category::TaskRoleAccessDenied, "dynamodb:GetItem");
}

#[test]
fn missing_settings_and_bad_config_are_configuration() {
    assert_cause(
        1,
        &["Error: environment variable REDIS_URL is not set"],
        Category::MissingEnvOrConfig,
        "REDIS_URL",
    );
    assert_cause(
        1,
        &["panic: required key DATABASE_URL missing value"],
        Category::MissingEnvOrConfig,
        "DATABASE_URL",
    );
    assert_cause(1, &["Caused by: java.lang.IllegalArgumentException: Could not resolve placeholder 'db.url' in value \"${db.url}\""], Category::MissingEnvOrConfig, "Could not resolve placeholder");
    assert_cause(
        1,
        &["error: yaml: line 4: mapping values are not allowed in this context"],
        Category::MissingEnvOrConfig,
        "yaml: line 4",
    );
}

#[test]
fn refused_and_timed_out_databases_are_dependency_failures() {
    assert_cause(1, &["psycopg2.OperationalError: connection to server at \"orders-db\" (10.0.4.7), port 5432 failed: Connection refused"], Category::DbConnection, "Connection refused");
    assert_cause(
        1,
        &["Error: getaddrinfo ENOTFOUND orders-db.internal"],
        Category::DbConnection,
        "ENOTFOUND",
    );
    assert_cause(
        1,
        &["com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure"],
        Category::DbConnection,
        "Communications link failure",
    );
}

#[test]
fn exec_errors_in_the_log_are_the_entrypoint() {
    assert_cause(
        1,
        &["exec /usr/local/bin/server: exec format error"],
        Category::WrongArchitecture,
        "exec format error",
    );
    assert_cause(
        126,
        &["/bin/sh: /app/start.sh: Permission denied"],
        Category::PermissionDeniedExec,
        "Permission denied",
    );
    assert_cause(
        127,
        &["/bin/sh: gunicorn: not found"],
        Category::BadEntrypointOrCommand,
        "gunicorn: not found",
    );
}

#[test]
fn a_quiet_log_leaves_the_exit_code_decision_alone() {
    let report = diagnose_with_log(
        1,
        &[
            "INFO starting",
            "INFO listening on :8080",
            "INFO shutting down",
        ],
    );
    assert_eq!(report.category, Category::AppCrash);
    assert_eq!(report.rule, "exit-nonzero");
}
