//! What the image probe finds: the image, its tags, platforms and the repository's policy; and the
//! pure readings of them (does the image run on this architecture, does the policy allow a pull).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What to check about one container's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageAsk {
    pub container: String,
    /// As the task definition names it.
    pub image: String,
    /// Whether the tag exists, and which tags do (a pull that found nothing).
    pub existence: bool,
    /// The platforms the image was built for (exec format error, exit 1 without a log line).
    pub platforms: bool,
    /// The account that pulls, when the repository may be in another one (a refused pull).
    pub pulling_account: Option<String>,
}

/// One tag of the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagFact {
    pub tag: String,
    pub pushed_at: Option<DateTime<Utc>>,
}

/// What the repository says about the image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageFacts {
    pub container: String,
    /// `repository:tag` or `repository@digest`.
    pub image: String,
    pub repository: String,
    pub tag: Option<String>,
    pub registry_id: String,
    pub region: String,
    /// Whether the repository exists (None: not asked).
    pub repository_exists: Option<bool>,
    /// Whether the tag or digest exists in it.
    pub found: Option<bool>,
    pub pushed_at: Option<DateTime<Utc>>,
    pub digest: Option<String>,
    /// The newest tags, newest first (a missing tag).
    pub newest: Vec<TagFact>,
    /// The tags closest to the missing one by name (v1.4.1 for v1.4.2), when not the newest.
    pub closest: Vec<TagFact>,
    /// `linux/amd64`, `linux/arm64/v8`: the platforms of a multi-platform image.
    pub platforms: Vec<String>,
    /// The image is a single-platform manifest: its architecture is in its config blob, which
    /// is not read.
    pub single_platform: bool,
    /// For a repository in another account: whether its policy lets the pulling account pull.
    pub policy: Option<PolicyFact>,
    /// The calls that verified these facts.
    pub verified_by: Vec<String>,
}

/// What a cross-account repository's policy allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFact {
    pub pulling_account: String,
    /// None: the repository has no policy at all.
    pub allows_pull: Option<bool>,
}

/// The newest tags, and the closest by name to the wanted one that are not among them.
pub fn name_tags(mut tags: Vec<TagFact>, wanted: &str) -> (Vec<TagFact>, Vec<TagFact>) {
    tags.retain(|tag| tag.tag != wanted);
    // Newest first; among tags pushed together, the greatest name (v1.4.1 before v1.4.0).
    tags.sort_by(|a, b| b.pushed_at.cmp(&a.pushed_at).then(b.tag.cmp(&a.tag)));
    let newest: Vec<TagFact> = tags.iter().take(TAGS_NAMED).cloned().collect();
    let shared = |tag: &str| {
        tag.chars()
            .zip(wanted.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    let mut closest: Vec<(usize, TagFact)> = tags
        .into_iter()
        .skip(TAGS_NAMED)
        .map(|tag| (shared(&tag.tag), tag))
        .filter(|(shared, _)| *shared >= 2 && *shared * 2 >= wanted.chars().count())
        .collect();
    // Stable: the newest first among equally close tags.
    closest.sort_by_key(|(shared, _)| std::cmp::Reverse(*shared));
    let closest = closest
        .into_iter()
        .take(TAGS_NAMED)
        .map(|(_, tag)| tag)
        .collect();
    (newest, closest)
}

/// The platforms a manifest list or index names (attestations left out); None for a
/// single-platform manifest.
pub fn platforms(manifest: &str) -> Option<Vec<String>> {
    let manifest: Value = serde_json::from_str(manifest).ok()?;
    let entries = manifest.get("manifests")?.as_array()?;
    Some(
        entries
            .iter()
            .filter_map(|entry| {
                let platform = entry.get("platform")?;
                let os = platform.get("os")?.as_str()?;
                let arch = platform.get("architecture")?.as_str()?;
                if os == "unknown" || arch == "unknown" {
                    return None;
                }
                Some(match platform.get("variant").and_then(Value::as_str) {
                    Some(variant) => format!("{os}/{arch}/{variant}"),
                    None => format!("{os}/{arch}"),
                })
            })
            .collect(),
    )
}

/// Whether `platforms` hold one the task's CPU architecture (X86_64, ARM64) can run.
pub fn runs_on(platforms: &[String], architecture: &str) -> bool {
    let wanted = docker_architecture(architecture);
    platforms
        .iter()
        .any(|platform| platform.split('/').nth(1) == Some(wanted))
}

/// ECS's cpuArchitecture in the registry's words.
pub fn docker_architecture(architecture: &str) -> &'static str {
    match architecture.to_ascii_uppercase().as_str() {
        "ARM64" | "AARCH64" => "arm64",
        _ => "amd64",
    }
}

/// Whether a repository policy has an Allow statement for the account (or one of its
/// principals, or everyone) with the actions a pull needs. Deny statements and conditions are
/// not evaluated: a "yes" means "a statement allows it".
pub fn policy_allows_pull(policy: &str, account: &str) -> bool {
    let Ok(policy) = serde_json::from_str::<Value>(policy) else {
        return false;
    };
    let statements = match policy.get("Statement") {
        Some(Value::Array(statements)) => statements.clone(),
        Some(statement) => vec![statement.clone()],
        None => Vec::new(),
    };
    let strings = |value: Option<&Value>| -> Vec<String> {
        match value {
            Some(Value::String(one)) => vec![one.clone()],
            Some(Value::Array(many)) => many
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    let pulls = |action: &str| {
        let action = action.to_ascii_lowercase();
        matches!(
            action.as_str(),
            "*" | "ecr:*" | "ecr:batchgetimage" | "ecr:getdownloadurlforlayer" | "ecr:batch*"
        )
    };
    statements.iter().any(|statement| {
        let allow = statement.get("Effect").and_then(Value::as_str) == Some("Allow");
        let principals = match statement.get("Principal") {
            Some(Value::String(star)) => vec![star.clone()],
            Some(principal) => strings(principal.get("AWS")),
            None => Vec::new(),
        };
        let principal_ok = principals
            .iter()
            .any(|p| p == "*" || p == account || crate::arn::account_of(p) == Some(account));
        let actions = strings(statement.get("Action"));
        allow && principal_ok && actions.iter().any(|a| pulls(a))
    })
}

/// How many tags a missing tag's report names.
const TAGS_NAMED: usize = 3;
