//! The deployment templates against the code: the function's role grants every AWS action the
//! code calls (ecs_doctor::aws::aws_actions(), built from the constants the call sites use) and nothing
//! beyond them but what the platform needs;
//! the member role grants the read actions only; the settings the template passes are the ones
//! the code reads; and nothing is lost (retries, on-failure destination, alarms).

use std::collections::BTreeSet;
use std::path::Path;

use ecs_doctor::aws::{aws_actions, member_read_actions};
use serde_norway::{Mapping, Value};

/// Actions the function's role needs that the code does not call itself, each with its reason.
const PLATFORM_ACTIONS: &[(&str, &str)] = &[
    (
        "logs:CreateLogStream",
        "Lambda writes the function's own log to its log group with the function's role",
    ),
    ("logs:PutLogEvents", "the same: the function's own log"),
    (
        "sqs:SendMessage",
        "Lambda sends failed asynchronous invocations to the on-failure destination (the failure queue) with the function's role",
    ),
    (
        "kms:GenerateDataKey",
        "publishing to the KMS-encrypted topic, writing the encrypted incidents table and the on-failure destination's encrypted queue",
    ),
    ("kms:Decrypt", "the same key, for the same three"),
];

/// Actions the member account's read role grants: what the code reads in an account.
fn read_actions() -> BTreeSet<String> {
    member_read_actions()
        .iter()
        .map(|action| action.to_string())
        .collect()
}

fn load(path: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    // Short-form intrinsics (!Ref, !Sub, !If …) parse as tagged values.
    serde_norway::from_str(&text)
        .unwrap_or_else(|error| panic!("parse {}: {error}", path.display()))
}

fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_mapping().and_then(|mapping| mapping.get(key))
}

fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(value, |value, key| {
        get(value, key).unwrap_or_else(|| panic!("no {key} in {path:?}"))
    })
}

fn resource<'a>(template: &'a Value, name: &str) -> &'a Value {
    at(template, &["Resources", name])
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    at(template, &["Resources"])
        .as_mapping()
        .expect("Resources is a mapping")
        .iter()
        .filter(|(_, resource)| get(resource, "Type").and_then(Value::as_str) == Some(kind))
        .map(|(name, resource)| (name.as_str().expect("a logical ID"), resource))
        .collect()
}

/// The intrinsic function a value is (`!If` or `Fn::If`), and its argument.
fn intrinsic(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => Some((
            tagged.tag.to_string().trim_start_matches('!').to_string(),
            &tagged.value,
        )),
        Value::Mapping(mapping) if mapping.len() == 1 => {
            let (key, argument) = mapping.iter().next()?;
            let name = key.as_str()?.strip_prefix("Fn::")?;
            Some((name.to_string(), argument))
        }
        _ => None,
    }
}

/// Every alternative a value can take: both branches of each `!If`.
fn alternatives(value: &Value) -> Vec<&Value> {
    match intrinsic(value) {
        Some((name, Value::Sequence(arguments))) if name == "If" && arguments.len() == 3 => {
            alternatives(&arguments[1])
                .into_iter()
                .chain(alternatives(&arguments[2]))
                .collect()
        }
        _ => vec![value],
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(single) => vec![single.clone()],
        Value::Sequence(values) => values.iter().flat_map(strings).collect(),
        other => panic!("expected a string or a list of strings, got {other:?}"),
    }
}

/// The logical ID a `!GetAtt Name.Arn` / `!Ref Name` points at.
fn target(value: &Value) -> String {
    let (_, argument) = intrinsic(value).unwrap_or_else(|| panic!("not a reference: {value:?}"));
    match argument {
        Value::String(reference) => reference.split('.').next().unwrap().to_string(),
        Value::Sequence(parts) => parts[0].as_str().unwrap().to_string(),
        other => panic!("not a reference: {other:?}"),
    }
}

/// The Allow statements of a role's inline policies (both branches of conditional ones).
fn statements(role: &Value) -> Vec<&Mapping> {
    let properties = at(role, &["Properties"]);
    assert!(
        get(properties, "ManagedPolicyArns").is_none(),
        "a managed policy would grant actions this test cannot see"
    );
    let policies = get(properties, "Policies").and_then(Value::as_sequence);
    policies
        .into_iter()
        .flatten()
        .flat_map(|policy| {
            at(policy, &["PolicyDocument", "Statement"])
                .as_sequence()
                .expect("a list of statements")
        })
        .flat_map(alternatives)
        .map(|statement| statement.as_mapping().expect("a statement"))
        .collect()
}

fn granted(role: &Value) -> BTreeSet<String> {
    let mut actions = BTreeSet::new();
    for statement in statements(role) {
        assert_eq!(
            statement.get("Effect").and_then(Value::as_str),
            Some("Allow")
        );
        assert!(
            statement.get("NotAction").is_none() && statement.get("NotResource").is_none(),
            "NotAction/NotResource grant more than they name: {statement:?}"
        );
        for action in strings(statement.get("Action").expect("an Action")) {
            assert!(!action.contains('*'), "wildcard action {action}");
            actions.insert(action);
        }
    }
    actions
}

/// Actions that have no resource type in the IAM Service Authorization Reference: they can only
/// be granted on "*".
const UNSCOPABLE: &[&str] = &[
    "ecs:DescribeTaskDefinition",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "ec2:DescribeSubnets",
    "ec2:DescribeRouteTables",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeSecurityGroups",
    "cloudwatch:GetMetricData",
    "ssm:DescribeParameters",
];

/// A statement on every resource ("*") is allowed only where every action has no resource type
/// (UNSCOPABLE), or with a condition that scopes it.
fn assert_each_statement_is_scoped(role: &Value) {
    for statement in statements(role) {
        let resource = statement.get("Resource").expect("a Resource");
        let literal = |value: &Value| value.as_str() == Some("*");
        let everything = literal(resource)
            || resource
                .as_sequence()
                .is_some_and(|resources| resources.iter().any(literal));
        if everything {
            let actions = strings(statement.get("Action").unwrap());
            assert!(
                actions
                    .iter()
                    .all(|action| UNSCOPABLE.contains(&action.as_str()))
                    || statement.get("Condition").is_some(),
                "{actions:?} on every resource without a condition"
            );
        }
    }
}

fn function_role(template: &Value) -> &Value {
    let role = target(at(resource(template, "Function"), &["Properties", "Role"]));
    resource(template, &role)
}

#[test]
fn the_function_role_grants_exactly_the_actions_the_code_calls() {
    let template = load("template.yaml");
    let role = function_role(&template);
    let granted = granted(role);
    let platform: BTreeSet<String> = PLATFORM_ACTIONS
        .iter()
        .map(|(action, _)| action.to_string())
        .collect();
    let called: BTreeSet<String> = aws_actions().iter().map(|a| a.to_string()).collect();
    let missing: Vec<_> = called.difference(&granted).collect();
    assert!(
        missing.is_empty(),
        "template.yaml does not grant {missing:?}, which the code calls"
    );
    let expected: BTreeSet<String> = called.union(&platform).cloned().collect();
    let extra: Vec<_> = granted.difference(&expected).collect();
    assert!(
        extra.is_empty(),
        "template.yaml grants {extra:?}, which neither the code (aws_actions) nor the platform (PLATFORM_ACTIONS) needs"
    );
    let unused: Vec<_> = platform.difference(&granted).collect();
    assert!(
        unused.is_empty(),
        "PLATFORM_ACTIONS lists {unused:?}, which the template no longer grants"
    );
    assert_each_statement_is_scoped(role);
}

#[test]
fn the_member_role_grants_the_read_actions_only() {
    let template = load("templates/member.yaml");
    let role = resource(&template, "ReadRole");
    assert_eq!(granted(role), read_actions());
    assert_each_statement_is_scoped(role);
    let trust = at(
        role,
        &["Properties", "AssumeRolePolicyDocument", "Statement"],
    );
    let trust = &trust.as_sequence().unwrap()[0];
    assert!(
        get(trust, "Condition").is_some(),
        "the member role trusts the central function's role only, not the whole central account"
    );
}

#[test]
fn the_function_is_the_arm64_cargo_lambda_binary_with_a_timeout_that_fits_the_gather_budget() {
    let template = load("template.yaml");
    let function = resource(&template, "Function");
    let properties = at(function, &["Properties"]);
    assert_eq!(
        at(function, &["Metadata", "BuildMethod"]).as_str(),
        Some("rust-cargolambda")
    );
    let binary = at(function, &["Metadata", "BuildProperties", "Binary"])
        .as_str()
        .unwrap();
    let cargo =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    assert!(
        cargo.contains(&format!("name = \"{binary}\"")),
        "Cargo.toml has no binary {binary}"
    );
    assert_eq!(
        at(properties, &["Runtime"]).as_str(),
        Some("provided.al2023")
    );
    assert_eq!(at(properties, &["Handler"]).as_str(), Some("bootstrap"));
    assert_eq!(strings(at(properties, &["Architectures"])), ["arm64"]);
    assert_eq!(
        at(properties, &["LoggingConfig", "LogFormat"]).as_str(),
        Some("JSON")
    );

    let variables = at(properties, &["Environment", "Variables"]);
    let number = |name: &str| -> u64 {
        at(variables, &[name])
            .as_str()
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("{name} is a number"))
    };
    let timeout_ms = at(properties, &["Timeout"]).as_u64().unwrap() * 1000;
    let needed = number("GATHER_BUDGET_MS") + number("PUBLISH_RESERVE_MS");
    assert!(
        needed < timeout_ms,
        "gathering ({needed} ms with the publish reserve) must fit the {timeout_ms} ms timeout"
    );
}

#[test]
fn every_setting_the_template_passes_is_read_by_the_code() {
    let template = load("template.yaml");
    let variables = at(
        resource(&template, "Function"),
        &["Properties", "Environment", "Variables"],
    )
    .as_mapping()
    .unwrap();
    let source: String = ["src/config.rs", "src/aws/accounts.rs"]
        .iter()
        .map(|file| {
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap()
        })
        .collect();
    assert!(variables.contains_key("TOPIC_ARN"));
    // The function trusts Amazon Trust Services' roots unless SSL_CERT_FILE or SSL_CERT_DIR is
    // set (src/aws/mod.rs): the stack leaves them for a TLS-inspecting proxy to set.
    assert!(
        !variables.contains_key("SSL_CERT_FILE") && !variables.contains_key("SSL_CERT_DIR"),
        "the template must not point the function at a system bundle"
    );
    for name in variables.keys() {
        let name = name.as_str().unwrap();
        assert!(
            source.contains(&format!("\"{name}\"")),
            "the template sets {name}, which no code reads"
        );
    }
}

#[test]
fn no_event_is_lost_retries_then_the_failure_queue_then_an_alarm() {
    let template = load("template.yaml");
    let invoke = resources_of_type(&template, "AWS::Lambda::EventInvokeConfig");
    assert_eq!(invoke.len(), 1);
    let invoke = at(invoke[0].1, &["Properties"]);
    assert_eq!(target(at(invoke, &["FunctionName"])), "Function");
    assert_eq!(at(invoke, &["MaximumRetryAttempts"]).as_u64(), Some(2));
    let queue = target(at(
        invoke,
        &["DestinationConfig", "OnFailure", "Destination"],
    ));
    let queue_properties = at(resource(&template, &queue), &["Properties"]);
    assert!(
        get(queue_properties, "KmsMasterKeyId").is_some()
            || get(queue_properties, "SqsManagedSseEnabled").and_then(Value::as_bool) == Some(true),
        "the failure queue is encrypted"
    );

    let alarms = resources_of_type(&template, "AWS::CloudWatch::Alarm");
    let metric = |name: &str| {
        alarms
            .iter()
            .find(|(_, alarm)| at(alarm, &["Properties", "MetricName"]).as_str() == Some(name))
            .unwrap_or_else(|| panic!("no alarm on {name}"))
            .1
    };
    for alarm in [
        metric("Errors"),
        metric("ApproximateNumberOfMessagesVisible"),
        // Events the on-failure destination could not take, and events Lambda dropped.
        metric("DestinationDeliveryFailures"),
        metric("AsyncEventsDropped"),
    ] {
        let actions = at(alarm, &["Properties", "AlarmActions"])
            .as_sequence()
            .unwrap();
        assert_eq!(
            target(&actions[0]),
            "OpsTopic",
            "alarms notify the operations topic"
        );
    }

    // Every rule delivers to the function, and keeps what it cannot deliver.
    let rules = resources_of_type(&template, "AWS::Events::Rule");
    assert_eq!(rules.len(), 4);
    for (name, rule) in rules {
        let targets = at(rule, &["Properties", "Targets"]).as_sequence().unwrap();
        assert_eq!(target(at(&targets[0], &["Arn"])), "Function", "{name}");
        assert_eq!(
            target(at(&targets[0], &["DeadLetterConfig", "Arn"])),
            queue,
            "{name}"
        );
    }
}

#[test]
fn alarms_do_not_depend_on_the_reports_topic_or_its_key() {
    let template = load("template.yaml");
    let reports_key = target(at(
        resource(&template, "Topic"),
        &["Properties", "KmsMasterKeyId"],
    ));
    let ops_key = target(at(
        resource(&template, "OpsTopic"),
        &["Properties", "KmsMasterKeyId"],
    ));
    assert_ne!(reports_key, ops_key, "the operations topic has its own key");
    let policy = serde_norway::to_string(at(
        resource(&template, &ops_key),
        &["Properties", "KeyPolicy"],
    ))
    .unwrap();
    assert!(policy.contains("cloudwatch.amazonaws.com"), "{policy}");
    for (name, alarm) in resources_of_type(&template, "AWS::CloudWatch::Alarm") {
        for action in at(alarm, &["Properties", "AlarmActions"])
            .as_sequence()
            .unwrap()
        {
            assert_eq!(target(action), "OpsTopic", "{name}");
        }
    }
}

#[test]
fn member_accounts_forward_what_resolved_needs() {
    let template = load("templates/member.yaml");
    let pattern = serde_norway::to_string(at(
        resource(&template, "ForwardRule"),
        &["Properties", "EventPattern"],
    ))
    .unwrap();
    for needed in ["SERVICE_STEADY_STATE", "SERVICE_DEPLOYMENT_COMPLETED"] {
        assert!(
            pattern.contains(needed),
            "member.yaml does not forward {needed}: {pattern}"
        );
    }
}

#[test]
fn stopped_tasks_reach_the_function_unless_a_user_stopped_them() {
    let template = load("template.yaml");
    let pattern = at(
        resource(&template, "TaskStoppedRule"),
        &["Properties", "EventPattern"],
    );
    assert_eq!(
        strings(at(pattern, &["detail-type"])),
        ["ECS Task State Change"]
    );
    for detail in alternatives(at(pattern, &["detail"])) {
        assert_eq!(strings(at(detail, &["lastStatus"])), ["STOPPED"]);
        let text = serde_norway::to_string(at(detail, &["$or"])).unwrap();
        assert!(text.contains("anything-but: UserInitiated"), "{text}");
    }
}

#[test]
fn the_topic_is_encrypted_with_a_key_the_alarms_may_use() {
    let template = load("template.yaml");
    let topic = at(resource(&template, "Topic"), &["Properties"]);
    let key = target(at(topic, &["KmsMasterKeyId"]));
    let policy =
        serde_norway::to_string(at(resource(&template, &key), &["Properties", "KeyPolicy"]))
            .unwrap();
    assert!(policy.contains("cloudwatch.amazonaws.com"), "{policy}");
    for output in [
        "TopicArn",
        "FunctionName",
        "FailureQueueUrl",
        "FailureQueueArn",
    ] {
        at(&template, &["Outputs", output]);
    }
}

/// Every detail-type the function reads reaches it, in the central rules and through the
/// member accounts' forwarding rule, with the same filters: a rollback worded "rolled back"
/// (blue/green) as much as "rolling back" (circuit breaker), and no task a user stopped.
#[test]
fn every_event_kind_the_function_reads_is_forwarded_with_the_same_filters() {
    let central = serde_norway::to_string(at(&load("template.yaml"), &["Resources"])).unwrap();
    let member = serde_norway::to_string(at(
        resource(&load("templates/member.yaml"), "ForwardRule"),
        &["Properties", "EventPattern"],
    ))
    .unwrap();
    for (name, text) in [
        ("template.yaml", &central),
        ("templates/member.yaml", &member),
    ] {
        for detail_type in ecs_doctor::event::DETAIL_TYPES {
            assert!(
                text.contains(detail_type),
                "{name} does not take '{detail_type}'"
            );
        }
        for needed in [
            "*rolled back*",
            "*Rolled back*",
            "*rolling back*",
            "HOOK_AWAITING_ACTION",
            "DAEMON_DEPLOYMENT_ROLLBACK_FAILED",
            "WARNING",
            "anything-but: UserInitiated",
        ] {
            assert!(text.contains(needed), "{name} lacks {needed}");
        }
    }
}

/// The custom actions the stack ships are the ones the function's cards are made for
/// (src/render/actions.rs): the same names, commands, buttons and variables, each variable read
/// from the card's additionalContext, and a button shown only where all its variables are.
#[test]
fn the_chat_actions_in_the_template_are_the_ones_the_cards_carry_variables_for() {
    use ecs_doctor::render::actions::{CHAT_ACTIONS, VARIABLE_PATH};
    let template = load("template.yaml");
    let shipped = resources_of_type(&template, "AWS::Chatbot::CustomAction");
    assert_eq!(shipped.len(), CHAT_ACTIONS.len());
    for action in CHAT_ACTIONS {
        let (_, resource) = shipped
            .iter()
            .find(|(_, r)| at(r, &["Properties", "ActionName"]).as_str() == Some(action.name))
            .unwrap_or_else(|| panic!("template.yaml ships no custom action {}", action.name));
        let properties = at(resource, &["Properties"]);
        assert_eq!(at(properties, &["AliasName"]).as_str(), Some(action.alias));
        assert_eq!(
            at(properties, &["Definition", "CommandText"]).as_str(),
            Some(action.command),
            "{}",
            action.name
        );
        let attachment = &at(properties, &["Attachments"]).as_sequence().unwrap()[0];
        assert_eq!(
            at(attachment, &["NotificationType"]).as_str(),
            Some("Custom")
        );
        assert_eq!(
            at(attachment, &["ButtonText"]).as_str(),
            Some(action.button)
        );
        let variables = at(attachment, &["Variables"]).as_mapping().unwrap();
        assert_eq!(variables.len(), action.variables.len(), "{}", action.name);
        for name in action.variables {
            assert_eq!(
                variables
                    .get(serde_norway::Value::String(name.to_string()))
                    .and_then(|v| v.as_str()),
                Some(format!("{VARIABLE_PATH}{name}").as_str()),
                "{}: {name}",
                action.name
            );
            assert!(action.command.contains(&format!("${name}")) || *name == "redeploy");
        }
        let criteria = serde_norway::to_string(at(attachment, &["Criteria"])).unwrap();
        for name in action.variables {
            assert!(
                criteria.contains(&format!("VariableName: {name}")),
                "{}: no criterion on {name}: {criteria}",
                action.name
            );
        }
    }
}

/// Applies an EventBridge input transformer to an event: each path of `InputPathsMap` read
/// (`$.a.b`), each `<name>` of `InputTemplate` replaced by its value as JSON (a string quoted and
/// escaped, as EventBridge does for a JSON template), a missing path as `null`.
fn transform(
    transformer: &Value,
    event: &serde_json::Value,
    subs: &[(&str, &str)],
) -> serde_json::Value {
    let template = at(transformer, &["InputTemplate"]);
    let mut text = match template.as_str() {
        Some(text) => text.to_string(),
        // !Sub: a tagged value.
        None => serde_norway::to_string(template).unwrap(),
    };
    if let Some(start) = text.find('{') {
        text = text[start..].trim_end().to_string();
    }
    for (name, value) in subs {
        text = text.replace(&format!("${{{name}}}"), value);
    }
    for (name, path) in at(transformer, &["InputPathsMap"]).as_mapping().unwrap() {
        let (name, path) = (name.as_str().unwrap(), path.as_str().unwrap());
        let mut value = event;
        for part in path.trim_start_matches("$.").split('.') {
            value = value.get(part).unwrap_or(&serde_json::Value::Null);
        }
        text = text.replace(&format!("<{name}>"), &value.to_string());
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The incident events ecs-doctor puts on its bus, as templates/integrations.yaml's input
/// transformers turn them into PagerDuty Events API v2 and incident.io alert bodies: the fields
/// each documents as required, with values they accept, and one dedup key for the incident.
#[test]
fn the_integrations_turn_incident_events_into_pagerduty_and_incident_io_bodies() {
    let template = load("templates/integrations.yaml");
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/events/oom.json")).unwrap();
    let mut report = ecs_doctor::diagnose(&ecs_doctor::Incident::from_event(
        ecs_doctor::parse(&bytes).unwrap(),
    ));
    report.incident.id = "111122223333/eu-west-1/prod/service:api/ecs-svc/1@1764000000000".into();
    let transformer = |rule: &str| {
        let targets = at(resource(&template, rule), &["Properties", "Targets"])
            .as_sequence()
            .unwrap();
        at(&targets[0], &["InputTransformer"]).clone()
    };
    let (pagerduty, incident_io) = (transformer("PagerDutyRule"), transformer("IncidentIoRule"));
    let mut keys = Vec::new();
    for message in ["opened", "updated", "follow-up", "resolved"] {
        report.incident.message = message.into();
        let json = ecs_doctor::render::json::render(&report);
        let event = serde_json::json!({
            "source": ecs_doctor::stream::SOURCE,
            "detail-type": ecs_doctor::stream::detail_type(message),
            "detail": ecs_doctor::stream::detail(&report, &json),
        });
        let body = transform(
            &pagerduty,
            &event,
            &[("PagerDutyRoutingKey", "R0UT1NGKEY0000000000000000000000")],
        );
        let action = body["event_action"].as_str().unwrap();
        assert_eq!(
            action,
            if message == "resolved" {
                "resolve"
            } else {
                "trigger"
            }
        );
        assert_eq!(body["routing_key"], "R0UT1NGKEY0000000000000000000000");
        let summary = body["payload"]["summary"].as_str().unwrap();
        assert!(!summary.is_empty() && summary.len() <= 1024, "{summary}");
        assert!(["critical", "error", "warning", "info"]
            .contains(&body["payload"]["severity"].as_str().unwrap()));
        assert!(body["payload"]["source"]
            .as_str()
            .is_some_and(|s| !s.is_empty()));
        keys.push(body["dedup_key"].as_str().unwrap().to_string());

        let alert = transform(&incident_io, &event, &[]);
        assert_eq!(
            alert["status"],
            if message == "resolved" {
                "resolved"
            } else {
                "firing"
            }
        );
        assert!(alert["title"].as_str().is_some_and(|t| !t.is_empty()));
        keys.push(alert["deduplication_key"].as_str().unwrap().to_string());
    }
    keys.dedup();
    assert_eq!(
        keys,
        [report.incident.id.clone()],
        "one dedup key for the incident's whole life"
    );
}

/// The dashboard's text: its body with the `!Sub` variables left as they are.
fn dashboard_body(template: &Value) -> String {
    let body = at(
        resource(template, "Dashboard"),
        &["Properties", "DashboardBody"],
    );
    let (_, argument) = intrinsic(body).expect("a !Sub");
    match argument {
        Value::Sequence(parts) => parts[0].as_str().unwrap().to_string(),
        other => other.as_str().unwrap().to_string(),
    }
}

/// What Logs Insights documents and a query must not rely on: a bare field as a condition
/// (JSON booleans read as 1 and 0: `summary = 1`, or `ispresent(summary)`), and sorting on
/// `count` (the function's name, not a field: `stats count(*) as n … | sort n desc`).
fn query_problems(query: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut aliases = Vec::new();
    for command in query.split('|').map(str::trim) {
        if let Some(conditions) = command.strip_prefix("filter ") {
            for condition in conditions.split(" and ").flat_map(|c| c.split(" or ")) {
                let condition = condition.trim();
                let compares = ["=", "<", ">", " like ", "ispresent(", " in "]
                    .iter()
                    .any(|operator| condition.contains(operator));
                if !compares {
                    problems.push(format!("bare condition '{condition}' in: {query}"));
                }
            }
        }
        if command.starts_with("stats ") {
            aliases.extend(
                command
                    .split(" as ")
                    .skip(1)
                    .filter_map(|rest| rest.split_whitespace().next()),
            );
        }
        if let Some(sort) = command.strip_prefix("sort ") {
            let field = sort.split_whitespace().next().unwrap_or_default();
            if field == "count" || (command.contains("count") && !aliases.contains(&field)) {
                problems.push(format!("sort on '{field}', not a stats alias, in: {query}"));
            }
        }
    }
    problems
}

#[test]
fn logs_insights_queries_use_the_documented_forms() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let body = dashboard_body(&load("template.yaml"));
    let dashboard: serde_json::Value = serde_json::from_str(&body).expect("the body is JSON");
    let mut queries: Vec<String> = dashboard["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|widget| widget["properties"]["query"].as_str())
        .map(str::to_string)
        .collect();
    queries.extend(
        readme
            .lines()
            // Query lines of the README's code blocks.
            .filter(|line| {
                ["fields ", "filter ", "stats ", "SOURCE "]
                    .iter()
                    .any(|start| line.starts_with(start))
            })
            .map(str::to_string),
    );
    assert!(queries.len() >= 2, "{queries:#?}");
    let problems: Vec<String> = queries.iter().flat_map(|q| query_problems(q)).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(!query_problems(
        "fields a | filter summary and unrecognized | stats count(*) by r | sort count desc"
    )
    .is_empty());
}

#[test]
fn the_dashboards_search_quotes_the_hyphenated_namespace() {
    let body = dashboard_body(&load("template.yaml"));
    let dashboard: serde_json::Value = serde_json::from_str(&body).unwrap();
    let expressions: Vec<&str> = dashboard["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|widget| {
            widget["properties"]["metrics"]
                .as_array()
                .into_iter()
                .flatten()
        })
        .flat_map(|metric| metric.as_array().into_iter().flatten())
        .filter_map(|item| item["expression"].as_str())
        .collect();
    assert!(!expressions.is_empty());
    for expression in expressions {
        // CloudWatch's search syntax: a namespace with characters other than letters, digits,
        // '.', '_', '/', '#' and ':' is quoted ('{"ecs-doctor",…}').
        assert!(
            !expression.contains("{ecs-doctor,") && expression.contains("{\"ecs-doctor\","),
            "{expression}"
        );
    }
}
