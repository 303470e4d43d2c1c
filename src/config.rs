//! The Lambda's settings, from its environment. Read once at start: a missing or malformed
//! setting stops the function before the first event, with a message that says what to set.
//! Each is declared once in [`SETTINGS`] with its default and what it does; the README's
//! configuration table is checked against it.

use std::time::Duration;

use crate::aws::GatherConfig;
use crate::aws::{AwsOptions, CrossAccountConfig};
use crate::facts::Probes;
use crate::incidents::{DedupeConfig, StormPolicy};
use crate::notify::Destinations;
use crate::report::Severity;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name} is not set: {hint}")]
    Missing {
        name: &'static str,
        hint: &'static str,
    },
    #[error("{name}={value} is not valid: expected {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
}

#[derive(Debug, Clone)]
pub struct Config {
    /// TOPIC_ARN (one JSON-structured message, a body per protocol) and EMAIL_TOPIC_ARN,
    /// CHAT_TOPIC_ARN, JSON_TOPIC_ARN (a topic per format, plain-string messages whose message
    /// attributes SNS delivers): where reports are published. At least one is set.
    pub destinations: Destinations,
    /// ROUTING_TAGS (team,owner): the service's tags that become message attributes.
    pub routing_tags: Vec<String>,
    /// HISTORY_DAYS (30; 0 off): how long published reports are kept in DEDUPE_TABLE.
    pub history_days: u32,
    /// METRICS_NAMESPACE (ecs-doctor; `none` turns the metric line off): the CloudWatch
    /// namespace of the embedded-metric-format line each invocation prints.
    pub metrics_namespace: Option<String>,
    /// MIN_SEVERITY (low): failures below it are logged, not published.
    pub min_severity: Severity,
    /// NOTIFY_BENIGN (false): also publish benign stops (scale-in, completed jobs), without
    /// gathering anything for them.
    pub notify_benign: bool,
    /// LOG_LINES (50), SIBLING_WINDOW_MINUTES (30).
    pub gather: GatherConfig,
    /// GATHER_BUDGET_MS (20000): the most gathering may take, whatever the Lambda timeout.
    pub gather_budget_cap: Duration,
    /// PUBLISH_RESERVE_MS (1500): kept from the Lambda deadline for diagnosing and publishing.
    pub publish_reserve: Duration,
    /// AWS_MAX_ATTEMPTS (3), AWS_ENDPOINT_URL is read by the SDK itself.
    pub aws: AwsOptions,
    /// DEDUPE_TABLE (none: per-container memory), DEDUPE_WINDOW_MINUTES (30; 0 turns flood
    /// control off), STORM_SERVICES (3; 0 off), STORM_WINDOW_MINUTES (10).
    pub dedupe: DedupeConfig,
    /// ACCOUNT_ID, MEMBER_ROLE_NAME: reading member accounts.
    pub accounts: CrossAccountConfig,
    /// PROBES (all): which checks the investigation makes (all, none, or a list of ids).
    pub probes: Probes,
    /// LOG_QUOTE (tail): how much of the application's log an alert quotes: `tail` (the last
    /// lines, scrubbed), `decisive` (only the lines a rule matched), `none`.
    pub log_quote: crate::render::LogQuote,
    /// EVENT_BUS_ARN (none): also put each message on this EventBridge bus, the incident stream
    /// for PagerDuty, incident.io and webhooks (templates/integrations.yaml).
    pub event_bus: Option<String>,
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let settings = Settings { lookup: &lookup };
        let destinations = settings.destinations()?;
        let min_severity = match settings.get("MIN_SEVERITY") {
            None => Severity::Low,
            Some(value) => Severity::from_id(&value).ok_or(ConfigError::Invalid {
                name: "MIN_SEVERITY",
                value,
                expected: "one of info, low, medium, high, critical",
            })?,
        };
        let probes = match settings.get("PROBES") {
            None => Probes::default(),
            Some(value) => Probes::parse(&value).map_err(|_| ConfigError::Invalid {
                name: "PROBES",
                value,
                expected: "all, none, or a comma-separated list of image, load-balancer, memory, placement, network, secrets, deployment, changes",
            })?,
        };
        let log_quote = match settings.get("LOG_QUOTE") {
            None => crate::render::LogQuote::default(),
            Some(value) => crate::render::LogQuote::parse(&value).ok_or(ConfigError::Invalid {
                name: "LOG_QUOTE",
                value,
                expected: "one of tail, decisive, none",
            })?,
        };
        let event_bus = settings
            .get("EVENT_BUS_ARN")
            .filter(|bus| !bus.trim().is_empty());
        Ok(Config {
            event_bus,
            log_quote,
            destinations,
            routing_tags: settings.routing_tags()?,
            history_days: settings.number(
                "HISTORY_DAYS",
                30,
                0..=3650,
                "days from 0 (no history) to 3650",
            )? as u32,
            metrics_namespace: match settings.get("METRICS_NAMESPACE") {
                None => Some(crate::metrics::NAMESPACE.to_string()),
                Some(none) if none == "none" => None,
                Some(namespace) => Some(namespace),
            },
            min_severity,
            notify_benign: settings.flag("NOTIFY_BENIGN", false)?,
            gather: GatherConfig {
                log_lines: settings.number(
                    "LOG_LINES",
                    50,
                    0..=10_000,
                    "a number of lines from 0 to 10000",
                )? as i32,
                sibling_window_minutes: settings.number(
                    "SIBLING_WINDOW_MINUTES",
                    30,
                    0..=1440,
                    "minutes from 0 to 1440",
                )? as u32,
            },
            gather_budget_cap: Duration::from_millis(settings.number(
                "GATHER_BUDGET_MS",
                20_000,
                100..=900_000,
                "milliseconds from 100 to 900000",
            )?),
            publish_reserve: Duration::from_millis(settings.number(
                "PUBLISH_RESERVE_MS",
                1_500,
                500..=60_000,
                "milliseconds from 500 to 60000",
            )?),
            aws: AwsOptions {
                max_attempts: settings.number(
                    "AWS_MAX_ATTEMPTS",
                    3,
                    1..=10,
                    "attempts from 1 to 10",
                )? as u32,
                ..AwsOptions::default()
            },
            dedupe: settings.dedupe()?,
            accounts: CrossAccountConfig::from_lookup(&lookup),
            probes,
        })
    }
}

/// One row of the settings table: the variables it names, their default as the README says
/// it, and what they do. `Settings::get` reads only declared names, and a test holds the README's
/// table to these rows.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub names: &'static [&'static str],
    /// A default value per name, or how the function does without one (in parentheses).
    pub default: &'static str,
    pub doc: &'static str,
}

/// Every setting the function reads from its environment, in the README's order.
pub const SETTINGS: &[Setting] = &[
    Setting {
        names: &["TOPIC_ARN"],
        default: "(one topic required)",
        doc: "the all-in-one topic: one message with a body per protocol",
    },
    Setting {
        names: &["EMAIL_TOPIC_ARN", "CHAT_TOPIC_ARN", "JSON_TOPIC_ARN"],
        default: "(none)",
        doc: "a topic per format, plain-string messages whose attributes SNS delivers (see *Routing*)",
    },
    Setting {
        names: &["ROUTING_TAGS"],
        default: "team,owner",
        doc: "the service's tags that become message attributes and `routing` in the JSON; `none` turns it off; at most 4",
    },
    Setting {
        names: &["MIN_SEVERITY"],
        default: "low",
        doc: "reports below it are not published (`info`, `low`, `medium`, `high`, `critical`)",
    },
    Setting {
        names: &["NOTIFY_BENIGN"],
        default: "false",
        doc: "also publish benign stops and deployment progress",
    },
    Setting {
        names: &["PROBES"],
        default: "all",
        doc: "the investigation's probes: `all`, `none`, or ids (`image,load-balancer,memory,placement,network,secrets,deployment,changes`)",
    },
    Setting {
        names: &["EVENT_BUS_ARN"],
        default: "(none)",
        doc: "also put every message on this EventBridge bus: the incident stream for pagers (see *Paging and acting*)",
    },
    Setting {
        names: &["LOG_QUOTE"],
        default: "tail",
        doc: "how much of the application's log an alert quotes: `tail` (the last lines, scrubbed), `decisive` (only the lines a rule matched, in the evidence), `none`",
    },
    Setting {
        names: &["LOG_LINES"],
        default: "50",
        doc: "log lines read from the failed container (0 turns log reading off)",
    },
    Setting {
        names: &["SIBLING_WINDOW_MINUTES"],
        default: "30",
        doc: "how far back the service's other stopped tasks count (one listing serves a burst of its events for 15 s)",
    },
    Setting {
        names: &["GATHER_BUDGET_MS"],
        default: "20000",
        doc: "the most gathering and probing may take (it also stays inside the Lambda deadline)",
    },
    Setting {
        names: &["PUBLISH_RESERVE_MS"],
        default: "1500",
        doc: "time kept before the deadline to publish",
    },
    Setting {
        names: &["AWS_MAX_ATTEMPTS"],
        default: "3",
        doc: "attempts per AWS call (standard retry mode, with per-call timeouts)",
    },
    Setting {
        names: &["DEDUPE_TABLE"],
        default: "(none)",
        doc: "the DynamoDB table of flood control and history; without it, state is per container and no history is kept",
    },
    Setting {
        names: &["DEDUPE_WINDOW_MINUTES"],
        default: "30",
        doc: "how long an incident stays open without a new failure; `0` turns flood control off",
    },
    Setting {
        names: &["STORM_SERVICES", "STORM_WINDOW_MINUTES"],
        default: "3, 10",
        doc: "that many services of a cluster failing the same way in that window make one storm alert; `0` services turns storms off",
    },
    Setting {
        names: &["HISTORY_DAYS"],
        default: "30",
        doc: "days each published report is kept for `ecs-doctor history`; `0` keeps none",
    },
    Setting {
        names: &["METRICS_NAMESPACE"],
        default: "ecs-doctor",
        doc: "the namespace of the metric line; `none` turns it off",
    },
    Setting {
        names: &["ACCOUNT_ID"],
        default: "(looked up once)",
        doc: "the function's own account, to tell member accounts' events apart",
    },
    Setting {
        names: &["MEMBER_ROLE_NAME"],
        default: "ecs-doctor-read",
        doc: "the read-only role assumed in member accounts",
    },
    Setting {
        names: &["SSL_CERT_FILE", "SSL_CERT_DIR"],
        default: "(unset)",
        doc: "unset, the function trusts only Amazon Trust Services' five roots, which AWS's endpoints chain to; set one (to a bundle that holds your proxy's CA) when the function reaches AWS through a TLS-inspecting proxy. The command line always uses the system's roots",
    },
];

/// Reads settings by name: trimmed, empty as unset, and a bad value named with what it expects.
struct Settings<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Settings<'_> {
    /// TOPIC_ARN and the per-format topics: each an SNS topic ARN, at least one set.
    fn destinations(&self) -> Result<Destinations, ConfigError> {
        let topic = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match self.get(name) {
                Some(arn) if !arn.starts_with("arn:") || !arn.contains(":sns:") => {
                    Err(ConfigError::Invalid {
                        name,
                        value: arn,
                        expected: "an SNS topic ARN, arn:aws:sns:REGION:ACCOUNT:NAME",
                    })
                }
                value => Ok(value),
            }
        };
        let destinations = Destinations {
            all: topic("TOPIC_ARN")?,
            email: topic("EMAIL_TOPIC_ARN")?,
            chat: topic("CHAT_TOPIC_ARN")?,
            json: topic("JSON_TOPIC_ARN")?,
        };
        if destinations.is_empty() {
            return Err(ConfigError::Missing {
                name: "TOPIC_ARN",
                hint: "set it to the ARN of the SNS topic that receives the reports (arn:aws:sns:REGION:ACCOUNT:NAME), or set EMAIL_TOPIC_ARN, CHAT_TOPIC_ARN and JSON_TOPIC_ARN for a topic per format",
            });
        }
        Ok(destinations)
    }

    /// ROUTING_TAGS: tag keys SNS takes as attribute names, that name no attribute ecs-doctor
    /// sets itself, four at most (SNS carries ten attributes, six are ecs-doctor's).
    fn routing_tags(&self) -> Result<Vec<String>, ConfigError> {
        const OWN: [&str; 6] = [
            "severity", "category", "account", "region", "cluster", "service",
        ];
        let Some(value) = self.get("ROUTING_TAGS") else {
            return Ok(vec!["team".into(), "owner".into()]);
        };
        let tags: Vec<String> = value
            .split(',')
            .map(str::trim)
            .filter(|tag| !tag.is_empty() && *tag != "none")
            .map(str::to_string)
            .collect();
        let valid = tags.len() <= 4
            && tags.iter().all(|tag| {
                tag.len() <= 128
                    && tag
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                    && !tag.starts_with('.')
                    && !tag.to_ascii_lowercase().starts_with("aws.")
                    && !tag.to_ascii_lowercase().starts_with("amazon.")
                    && !OWN.contains(&tag.as_str())
            });
        if !valid {
            return Err(ConfigError::Invalid {
                name: "ROUTING_TAGS",
                value,
                expected: "up to 4 comma-separated tag keys of letters, digits, _ - . (not severity, category, account, region, cluster, service), or none",
            });
        }
        Ok(tags)
    }

    fn get(&self, name: &str) -> Option<String> {
        debug_assert!(
            SETTINGS.iter().any(|setting| setting.names.contains(&name)),
            "{name} is read but not declared in SETTINGS"
        );
        (self.lookup)(name)
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty())
    }

    fn number(
        &self,
        name: &'static str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
        expected: &'static str,
    ) -> Result<u64, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(value) => value
                .parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or(ConfigError::Invalid {
                    name,
                    value,
                    expected,
                }),
        }
    }

    fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(value) => match value.as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(ConfigError::Invalid {
                    name,
                    value,
                    expected: "true or false",
                }),
            },
        }
    }

    /// DEDUPE_TABLE, DEDUPE_WINDOW_MINUTES, STORM_SERVICES, STORM_WINDOW_MINUTES.
    fn dedupe(&self) -> Result<DedupeConfig, ConfigError> {
        let window = self.number(
            "DEDUPE_WINDOW_MINUTES",
            30,
            0..=1440,
            "minutes from 0 (flood control off) to 1440",
        )?;
        let storm_services = self.number(
            "STORM_SERVICES",
            3,
            0..=1000,
            "a number of services from 0 (storms off) to 1000",
        )?;
        let storm_window = self.number(
            "STORM_WINDOW_MINUTES",
            10,
            1..=1440,
            "minutes from 1 to 1440",
        )?;
        let table = self.get("DEDUPE_TABLE");
        if let Some(table) = &table {
            let valid = (3..=255).contains(&table.len())
                && table
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid {
                return Err(ConfigError::Invalid {
                    name: "DEDUPE_TABLE",
                    value: table.clone(),
                    expected: "a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ - .)",
                });
            }
        }
        Ok(DedupeConfig {
            table,
            window: Duration::from_secs(window * 60),
            storm: StormPolicy {
                services: storm_services as usize,
                window: Duration::from_secs(storm_window * 60),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn a_missing_topic_says_what_to_set() {
        let error = config(&[]).unwrap_err().to_string();
        assert!(error.starts_with("TOPIC_ARN is not set"), "{error}");
    }

    #[test]
    fn defaults_apply() {
        let config =
            config(&[("TOPIC_ARN", "arn:aws:sns:eu-west-1:111122223333:ecs-doctor")]).unwrap();
        assert_eq!(config.gather, GatherConfig::default());
        assert_eq!(config.min_severity, Severity::Low);
        assert!(!config.notify_benign);
        assert_eq!(config.aws.max_attempts, 3);
        assert_eq!(config.dedupe, DedupeConfig::default());
        assert_eq!(config.probes, Probes::default());
    }

    #[test]
    fn a_topic_per_format_may_replace_the_all_in_one_topic() {
        let config = config(&[
            ("EMAIL_TOPIC_ARN", "arn:aws:sns:eu-west-1:1:email"),
            ("JSON_TOPIC_ARN", "arn:aws:sns:eu-west-1:1:json"),
        ])
        .unwrap();
        assert_eq!(config.destinations.all, None);
        assert_eq!(config.destinations.topics().len(), 2);
        let error = self::config(&[("CHAT_TOPIC_ARN", "slack")]).unwrap_err();
        assert!(
            error.to_string().starts_with("CHAT_TOPIC_ARN=slack"),
            "{error}"
        );
    }

    #[test]
    fn routing_tags_default_to_team_and_owner_and_reject_ecs_doctors_own_names() {
        let topic = ("TOPIC_ARN", "arn:aws:sns:eu-west-1:1:t");
        assert_eq!(config(&[topic]).unwrap().routing_tags, ["team", "owner"]);
        assert!(config(&[topic, ("ROUTING_TAGS", "none")])
            .unwrap()
            .routing_tags
            .is_empty());
        assert_eq!(
            config(&[topic, ("ROUTING_TAGS", "cost-center, squad")])
                .unwrap()
                .routing_tags,
            ["cost-center", "squad"]
        );
        assert!(config(&[topic, ("ROUTING_TAGS", "service")]).is_err());
        assert!(config(&[topic, ("ROUTING_TAGS", "a,b,c,d,e")]).is_err());
    }

    #[test]
    fn probes_are_chosen_by_name_and_a_wrong_one_is_named() {
        let some = config(&[
            ("TOPIC_ARN", "arn:aws:sns:eu-west-1:1:t"),
            ("PROBES", "image,memory"),
        ])
        .unwrap();
        assert!(some.probes.has(crate::facts::Probe::Memory));
        assert!(!some.probes.has(crate::facts::Probe::Network));
        let error = config(&[
            ("TOPIC_ARN", "arn:aws:sns:eu-west-1:1:t"),
            ("PROBES", "image,ecr"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("PROBES=image,ecr is not valid"),
            "{error}"
        );
    }

    #[test]
    fn flood_control_reads_its_table_and_window() {
        let config = config(&[
            ("TOPIC_ARN", "arn:aws:sns:eu-west-1:1:t"),
            ("DEDUPE_TABLE", "ecs-doctor-incidents"),
            ("DEDUPE_WINDOW_MINUTES", "0"),
        ])
        .unwrap();
        assert_eq!(config.dedupe.table.as_deref(), Some("ecs-doctor-incidents"));
        assert_eq!(config.dedupe.window, Duration::ZERO);
        let error = self::config(&[
            ("TOPIC_ARN", "arn:aws:sns:eu-west-1:1:t"),
            ("DEDUPE_TABLE", "arn:aws:dynamodb:eu-west-1:1:table/x"),
        ])
        .unwrap_err();
        assert!(error.to_string().starts_with("DEDUPE_TABLE="), "{error}");
    }

    #[test]
    fn a_bad_number_names_the_variable_and_the_range() {
        let error = config(&[
            ("TOPIC_ARN", "arn:aws:sns:eu-west-1:1:t"),
            ("LOG_LINES", "lots"),
        ])
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "LOG_LINES=lots is not valid: expected a number of lines from 0 to 10000"
        );
    }

    /// The README's configuration table is the declaration, row for row.
    #[test]
    fn the_readme_configuration_table_is_the_settings_declaration() {
        let rows = crate::readme::table_rows("### Configuration");
        let declared: Vec<String> = SETTINGS
            .iter()
            .map(|setting| {
                let names: Vec<String> = setting
                    .names
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect();
                let default = if setting.default.starts_with('(') {
                    setting.default.to_string()
                } else {
                    let values: Vec<String> = setting
                        .default
                        .split(", ")
                        .map(|value| format!("`{value}`"))
                        .collect();
                    values.join(", ")
                };
                format!("| {} | {default} | {} |", names.join(", "), setting.doc)
            })
            .collect();
        assert_eq!(
            rows, declared,
            "README.md's configuration table and config::SETTINGS disagree"
        );
    }

    #[test]
    fn every_setting_is_declared_once() {
        let mut names: Vec<&str> = SETTINGS
            .iter()
            .flat_map(|s| s.names.iter().copied())
            .collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a setting is declared twice");
    }
}
