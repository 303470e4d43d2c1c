//! What the investigation verified, turned into the report: verified evidence first (each
//! naming the call that verified it), the fix made of real values before the commands, a
//! sharper headline when the verified cause is sharper than the rule's, and what changed since
//! the last revision that ran fine. Pure, like the rest of `diagnose`.

mod access;
mod capacity;
mod changed;
mod deployment;
mod health;
mod hook;
mod image;

use chrono::{DateTime, Utc};

use super::{diagnose_as, rules, truncate, TITLE_LIMIT};
use crate::arn::task_definition_name;
use crate::event::{EcsEvent, Task};
use crate::facts::Investigation;
use crate::incident::{Incident, TaskDefinition};
use crate::report::hypotheses;
use crate::report::{Category, Evidence, Report, Step, WhatChanged};

/// Turns the findings into the report.
pub fn conclude(report: Report, incident: &Incident, findings: &Investigation) -> Report {
    if !report.notify {
        return report;
    }
    let mut report = match refined(&report, incident, findings) {
        Some(rule) => {
            let mut refined = diagnose_as(incident, rule);
            refined.incident = report.incident.clone();
            refined
        }
        None => report,
    };
    let (conclusion, what_changed) = investigated(&report, incident, findings);
    report.what_changed = what_changed;
    conclusion.apply(&mut report);
    for gap in &findings.gaps {
        if !report.gaps.contains(gap) {
            report.gaps.push(gap.clone());
        }
    }
    report
}

/// Every probe's conclusions, and what changed.
fn investigated(
    report: &Report,
    incident: &Incident,
    findings: &Investigation,
) -> (Conclusion, Option<WhatChanged>) {
    let scene = Scene::new(report, incident);
    let mut conclusion = Conclusion::default();
    if let Some(facts) = &findings.image {
        image::conclude(&mut conclusion, &scene, facts);
    }
    health::conclude(&mut conclusion, &scene, &findings.target_groups);
    if let Some(facts) = &findings.memory {
        capacity::memory(&mut conclusion, &scene, facts);
    }
    capacity::subnets(&mut conclusion, &scene, &findings.subnets);
    if let Some(facts) = &findings.instances {
        capacity::instances(&mut conclusion, &scene, facts);
    }
    if let Some(facts) = &findings.network {
        access::network(&mut conclusion, &scene, facts);
    }
    access::secrets(&mut conclusion, &scene, &findings.secrets);
    access::task_role(&mut conclusion, &scene);
    if let Some(hook) = &findings.hook {
        hook::conclude(&mut conclusion, &scene, hook);
    }
    if let Some(facts) = &findings.deployment {
        deployment::conclude(&mut conclusion, &scene, facts);
    }
    let what_changed = changed::what_changed(&scene, findings);
    if let Some(changed) = &what_changed {
        changed::conclude(&mut conclusion, &scene, changed);
    }
    (conclusion, what_changed)
}

/// A verified fact that makes another rule the cause: a silent exit 1 from an image built for
/// another architecture, a refused pull of a tag that does not exist, a secret that is not there.
fn refined(
    report: &Report,
    incident: &Incident,
    findings: &Investigation,
) -> Option<&'static rules::Rule> {
    let categories = hypotheses(report);
    let has = |category| categories.contains(&category);
    let scene = Scene::new(report, incident);
    if let Some(image) = &findings.image {
        let foreign = !image.platforms.is_empty()
            && !crate::facts::ecr::runs_on(&image.platforms, &scene.architecture);
        if foreign && has(Category::AppCrash) {
            return rules::rules_for(Category::WrongArchitecture).next();
        }
        if image.found == Some(false) && has(Category::ImagePullAuth) {
            return rules::rules_for(Category::ImagePullNotFound).next();
        }
    }
    let secret_missing = findings.secrets.iter().any(|s| s.exists == Some(false));
    let secrets_category = categories.iter().any(|c| {
        matches!(
            c,
            Category::SecretsAccessDenied | Category::SecretsKms | Category::SecretsNetwork
        )
    });
    if secret_missing && secrets_category {
        return rules::rules_for(Category::SecretsInvalidReference).next();
    }
    None
}

/// What the conclusions read: the report so far and the incident's names.
pub(super) struct Scene<'a> {
    pub report: &'a Report,
    pub incident: &'a Incident,
    pub categories: Vec<Category>,
    pub region: String,
    pub cluster: Option<String>,
    pub service: Option<String>,
    /// The task's CPU architecture (ECS's word: X86_64, ARM64).
    pub architecture: String,
    /// When the failure happened (the task's stop, else the event).
    pub when: Option<DateTime<Utc>>,
}

impl<'a> Scene<'a> {
    fn new(report: &'a Report, incident: &'a Incident) -> Scene<'a> {
        let task = incident.task();
        let td = incident.task_definition.as_ref();
        Scene {
            report,
            incident,
            categories: hypotheses(report),
            region: report
                .resources
                .region
                .clone()
                .unwrap_or_else(|| "us-east-1".into()),
            cluster: report.resources.cluster.clone(),
            service: report.resources.service.clone(),
            architecture: task
                .and_then(Task::cpu_architecture)
                .map(str::to_string)
                .or_else(|| td.and_then(|td| td.cpu_architecture.clone()))
                .unwrap_or_else(|| "X86_64".into()),
            when: task
                .and_then(|t| t.stopped_at.or(t.stopping_at))
                .or_else(|| incident.event.as_ref().and_then(|e: &EcsEvent| e.time)),
        }
    }

    pub fn has(&self, category: Category) -> bool {
        self.categories.contains(&category)
    }

    pub fn task_definition(&self) -> Option<&'a TaskDefinition> {
        self.incident.task_definition.as_ref()
    }

    /// `family:revision` of the failing revision.
    pub fn revision(&self) -> Option<String> {
        self.task_definition()
            .and_then(|td| td.arn.as_deref())
            .map(|arn| task_definition_name(arn).to_string())
            .or_else(|| self.report.resources.task_definition.clone())
    }

    /// `aws ecs update-service --cluster C --service S … --region R`, when the service is known.
    pub fn update_service(&self, arguments: &str) -> Option<String> {
        Some(format!(
            "aws ecs update-service --cluster {} --service {} {arguments} --region {}",
            self.cluster.as_deref()?,
            self.service.as_deref()?,
            self.region
        ))
    }

    /// "2 h before the failure", "after the failure".
    pub fn relative(&self, at: DateTime<Utc>) -> Option<String> {
        let when = self.when?;
        let minutes = (when - at).num_minutes();
        Some(match minutes {
            m if m < 0 => "after the failure".into(),
            0 => "in the minute of the failure".into(),
            m if m < 120 => format!("{m} min before the failure"),
            m if m < 48 * 60 => format!("{} h before the failure", m / 60),
            m => format!("{} days before the failure", m / (24 * 60)),
        })
    }
}

/// "2026-11-30 10:02 UTC".
pub(super) fn at(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What the investigation adds to the report.
#[derive(Debug, Default)]
pub(super) struct Conclusion {
    /// Verified facts, the most telling first.
    evidence: Vec<Evidence>,
    /// The fix made of real values, in order.
    fixes: Vec<Step>,
    /// Sentences that lead the summary.
    said: Vec<String>,
    /// A headline sharper than the rule's ("Tag v1.4.2 not in ECR").
    headline: Option<String>,
    /// Steps the verified facts make pointless, by a piece of their command.
    superseded: Vec<&'static str>,
    /// Sentences of the summary the verified facts contradict.
    retracted: Vec<&'static str>,
}

impl Conclusion {
    pub fn verified(&mut self, source: impl Into<String>, text: impl Into<String>, call: &str) {
        self.evidence.push(Evidence {
            source: source.into(),
            text: text.into(),
            verified_by: Some(call.to_string()),
        });
    }

    pub fn fix(&mut self, title: impl Into<String>, command: Option<String>) {
        let step = Step {
            title: title.into(),
            command,
        };
        if !self.fixes.contains(&step) {
            self.fixes.push(step);
        }
    }

    /// A sentence for the summary; it ends with one full stop whatever the quote ended with.
    pub fn say(&mut self, sentence: impl Into<String>) {
        let mut sentence: String = sentence.into();
        while sentence.ends_with("..") {
            sentence.pop();
        }
        self.said.push(sentence);
    }

    /// Takes a sentence of the rule's summary back: the verified facts say otherwise.
    pub fn retract(&mut self, sentence: &'static str) {
        self.retracted.push(sentence);
    }

    /// The first sharper headline wins: the conclusions run from the most specific probe.
    pub fn headline(&mut self, headline: impl Into<String>) {
        if self.headline.is_none() {
            self.headline = Some(headline.into());
        }
    }

    /// Drops the steps whose command holds `fragment`: what they would find out is known.
    pub fn supersede(&mut self, fragment: &'static str) {
        self.superseded.push(fragment);
    }

    fn apply(self, report: &mut Report) {
        let Conclusion {
            mut evidence,
            fixes,
            said,
            headline,
            superseded,
            retracted,
        } = self;
        for sentence in retracted {
            report.summary = report.summary.replace(sentence, "");
        }
        // A rule's step is dropped when what it would find out is verified, or when a fix
        // already runs the same command.
        report.next_steps.retain(|step| {
            step.command.as_deref().is_none_or(|command| {
                !superseded.iter().any(|fragment| command.contains(fragment))
                    && !fixes
                        .iter()
                        .any(|fix| fix.command.as_deref() == Some(command))
            })
        });
        if let Some(headline) = headline {
            report.title = retitle(&report.title, &headline);
        }
        if !said.is_empty() {
            report.summary = format!("{} {}", said.join(" "), report.summary);
        }
        evidence.append(&mut report.evidence);
        report.evidence = evidence;
        let mut steps = fixes;
        for step in std::mem::take(&mut report.next_steps) {
            if !steps.contains(&step) {
                steps.push(step);
            }
        }
        report.next_steps = steps;
    }
}

/// Puts the verified headline in place of the rule's: "Image not found: api in checkout (prod)"
/// becomes "Tag v1.4.2 not in ECR: api in checkout (prod)"; a deployment's title keeps its own
/// start and gets the verified cause after the dash.
fn retitle(title: &str, headline: &str) -> String {
    let retitled = match (title.split_once(" — "), title.split_once(": ")) {
        (Some((deployment, _)), _) => format!("{deployment} — {}", lower_first(headline)),
        (None, Some((_, subject))) => format!("{headline}: {subject}"),
        (None, None) => headline.to_string(),
    };
    truncate(&retitled, TITLE_LIMIT)
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if !text.starts_with("ECR") => first.to_lowercase().chain(chars).collect(),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verified_headlines_replace_the_rules() {
        assert_eq!(
            retitle(
                "Image not found: api in checkout (prod)",
                "Tag v1.4.2 not in ECR"
            ),
            "Tag v1.4.2 not in ECR: api in checkout (prod)"
        );
        assert_eq!(
            retitle(
                "Deployment failed: checkout (prod) — image not found",
                "Tag v1.4.2 not in ECR"
            ),
            "Deployment failed: checkout (prod) — tag v1.4.2 not in ECR"
        );
    }
}
