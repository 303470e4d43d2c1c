//! The hand-written log shapes (`src/diagnose/shapes.rs`) say exactly what the regular
//! expressions they replaced said: both run over every line of the three corpora, the event
//! fixtures' logs, and crafted lines at the edges of each shape.

use ecs_doctor::diagnose::shapes;
use regex::bytes::Regex;
use serde_json::Value;

/// A hand-written shape.
type Shape = fn(&[u8]) -> bool;

/// The expressions, as they were compiled (case-insensitive but where `(?-i)` says otherwise).
const SHAPES: &[(&str, Shape)] = &[
    (r"(?-i:KeyError: '[A-Z][A-Z0-9_]+')", shapes::key_error),
    (
        r"(?-i:\b[A-Z][A-Z0-9]*_[A-Z0-9_]+)['`]? (is )?(not set|must be set|is required|is missing|missing|undefined|empty)",
        shapes::name_missing,
    ),
    (
        r"environment variable[^.]{0,80}\b(not set|not defined|missing|required|undefined|must be set|empty|not found)",
        shapes::environment_variable_missing,
    ),
    (
        r"\b(env|environment) var(iable)?s?\b.{0,80}\b(not set|missing|required)",
        shapes::env_var_missing,
    ),
    (
        r"\bno\b[^.\n]{0,80}\b(has been|was|is|were|are) (specified|set|provided|configured|given)\b",
        shapes::nothing_given,
    ),
    (
        r"\bmissing\b[^\n]{0,60}\b(environment|config|configuration|setting|settings|credentials|variable|key|secret)\b",
        shapes::missing_setting,
    ),
    (
        r#"(?-i)(^|[\s"'])([A-Za-z_][\w.$]*\.)?[A-Z]\w*(Error|Exception)(: |:?$|\[)"#,
        shapes::exception,
    ),
];

const CRAFTED: &[&str] = &[
    "KeyError: 'DATABASE_URL'",
    "KeyError: 'D'",
    "KeyError: 'database_url'",
    "KeyError: 'DATABASE_URL",
    "raise KeyError: 'A1_'",
    "DATABASE_URL is not set",
    "DATABASE_URL is required",
    "`REDIS_HOST` missing",
    "'REDIS_HOST' is missing from the config",
    "xDATABASE_URL is not set",
    "DATABASE_ is empty",
    "_DATABASE is empty",
    "MY_VARx missing",
    "MY_VAR  missing",
    "MY_VAR IS NOT SET",
    "the environment variable DB_HOST was not found",
    "Environment variable. not set",
    "environment variablenot set",
    "env vars missing",
    "env variables are not set",
    "environment variables: required",
    "env variablesX missing",
    "myenv var missing",
    "env var\nmissing",
    "no region was specified",
    "No credentials have been provided",
    "nothing was specified",
    "no. region was specified",
    "no region was specifiedx",
    "missing required config",
    "missing\nconfig",
    "missing keys",
    "Missing Secret",
    "java.lang.IllegalStateException: boom",
    "\tat com.acme.Main.main(Main.java:12) Caused by: java.io.IOException: x",
    "Traceback: ValueError",
    "ValueError",
    "ValueError:",
    "ValueError: bad",
    "ValueError[1]",
    "  File x, line 3, in ValueError",
    "(java.lang.RuntimeException: x)",
    "\"TypeError: undefined\"",
    "module$Inner.BadError: x",
    "pkg.inner$Cls.FooError: x",
    "lowercase.fooError: x",
    "_private.FooException: y",
    "9pkg.FooError: x",
    "FooErrors: x",
    "Error: plain",
    "org.FooError:x",
    "User: arn:aws:sts::1:assumed-role/api-task/9f2c is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because",
    "User:arn:aws:iam::1:user/x is not authorized to perform s3:PutObject",
    "AccessDenied: User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-1:1:table/t)",
    "is not authorized to perform: kms:Decrypt",
    "is not authorized to perform this action",
    "is not authorized to perform:  sqs:*  on resource:  q,",
    "User: is not authorized to perform: s3:GetObject",
    "User: arn: is not authorized to perform: s3:GetObject",
    "Someone: arn:aws:iam::1:user/x is not authorized to perform: s3:GetObject on resource:",
    "x is not authorized to perform: bad action here; then User: arn:aws:iam::1:role/r is not authorized to perform: ec2:Describe*",
];

#[test]
fn the_denial_says_what_its_expression_captured() {
    let regex = regex::Regex::new(r"(?:User:\s*(arn:\S+)\s+)?is not authorized to perform:?\s+([A-Za-z0-9-]+:[A-Za-z0-9*]+)(?:\s+on resource:?\s+([^\s,;)]+))?").unwrap();
    let mut seen = 0;
    for line in corpus_lines() {
        let expected = regex.captures(&line).map(|found| {
            (
                found.get(0).unwrap().as_str().to_string(),
                found.get(1).map(|m| m.as_str().to_string()),
                found[2].to_string(),
                found.get(3).map(|m| m.as_str().to_string()),
            )
        });
        let got = shapes::denial(&line).map(|d| {
            (
                d.said.to_string(),
                d.principal.map(str::to_string),
                d.action.to_string(),
                d.resource.map(str::to_string),
            )
        });
        assert_eq!(got, expected, "{line}");
        seen += usize::from(expected.is_some());
    }
    assert!(seen >= 5, "{seen}");
}

fn corpus_lines() -> Vec<String> {
    let mut lines: Vec<String> = CRAFTED.iter().map(|l| l.to_string()).collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["messages.jsonl", "holdout.jsonl", "blind.jsonl"] {
        let text = std::fs::read_to_string(root.join("tests/corpus").join(file)).unwrap();
        for entry in text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        {
            lines.extend(entry["message"].as_str().map(str::to_string));
            for line in entry["log"].as_array().into_iter().flatten() {
                lines.extend(line.as_str().map(str::to_string));
            }
        }
    }
    for entry in std::fs::read_dir(root.join("events")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "log") {
            lines.extend(
                std::fs::read_to_string(path)
                    .unwrap()
                    .lines()
                    .map(str::to_string),
            );
        }
    }
    lines
}

#[test]
fn each_shape_says_what_its_expression_said() {
    let lines = corpus_lines();
    assert!(lines.len() > 800, "{}", lines.len());
    let mut differences = Vec::new();
    let mut matched = vec![0; SHAPES.len()];
    for (index, (pattern, shape)) in SHAPES.iter().enumerate() {
        let regex = regex::bytes::RegexBuilder::new(pattern)
            .case_insensitive(true)
            .unicode(false)
            .build()
            .unwrap();
        let regex: Regex = regex;
        for line in &lines {
            let line = ecs_doctor::cut::cap(line, 4096);
            let expected = regex.is_match(line.as_bytes());
            if expected {
                matched[index] += 1;
            }
            if shape(line.as_bytes()) != expected {
                differences.push(format!(
                    "shape {index} ({pattern}) expected {expected}: {line:?}"
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    // Every shape is exercised by the lines, both ways.
    assert!(matched.iter().all(|n| *n > 0), "{matched:?}");
}
