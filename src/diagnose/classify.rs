//! Which rule a message, a stop code, an exit code, a log tail or an event falls to.
//!
//! For a message (a container's reason, the task's stoppedReason, a service event, a service
//! action's reason): its causes are tried strongest first; for each, a rule that names the
//! message's phase wins over one that takes the cause in any phase. A message whose phase is
//! known and whose cause is not falls to that phase's "unrecognized" rule, which says the phase
//! ("the image pull failed for a reason ecs-doctor does not know: …"); one with neither falls
//! to nothing here, and the caller goes on (stop code, exit code, logs, fallback).

use super::grammar::{analyze, Cause, Phase, Signals};
use super::rules::{self, Codes, Rule, Trigger};

/// What a message says, and the rule it falls to.
#[derive(Debug, Clone)]
pub struct Said {
    pub rule: &'static Rule,
    pub signals: Signals,
    /// The cause that decided (None: only the phase is known).
    pub cause: Option<Cause>,
}

impl Said {
    /// Lower is stronger: a known cause (the stronger the cause, the lower), then phase-only.
    pub fn strength(&self) -> usize {
        match self.cause {
            Some(cause) => cause as usize,
            None => usize::MAX / 2,
        }
    }
}

/// The first rule (catalog order) with a trigger `matches` accepts.
fn find(matches: impl Fn(&Trigger) -> bool) -> Option<&'static Rule> {
    rules::all().find(|rule| rule.triggers.iter().any(&matches))
}

/// The rule for `cause` in `phase`: one that names the phase, else one that takes any phase;
/// `log` picks the log triggers instead of the message triggers.
fn by_cause(cause: Cause, phase: Option<Phase>, log: bool) -> Option<&'static Rule> {
    let fits = |trigger: &Trigger, exact: bool| match *trigger {
        Trigger::Said { on, cause: c } if !log && c == cause => {
            if exact {
                on.names(phase)
            } else {
                on.accepts(phase)
            }
        }
        Trigger::Log { on, cause: c } if log && c == cause => {
            if exact {
                on.names(phase)
            } else {
                on.accepts(phase)
            }
        }
        _ => false,
    };
    find(|trigger| fits(trigger, true)).or_else(|| find(|trigger| fits(trigger, false)))
}

/// The rule a message falls to, if any.
pub fn said(text: &str) -> Option<Said> {
    if text.trim().is_empty() {
        return None;
    }
    let signals = analyze(text);
    for &cause in &signals.causes {
        if let Some(rule) = by_cause(cause, signals.phase, false) {
            return Some(Said {
                rule,
                cause: Some(cause),
                signals,
            });
        }
    }
    let phase = signals.phase?;
    let rule =
        find(|trigger| matches!(trigger, Trigger::SaidPhase(phases) if phases.contains(&phase)))?;
    Some(Said {
        rule,
        cause: None,
        signals,
    })
}

/// The rule of a task's stop code.
pub fn by_stop_code(code: &str) -> Option<&'static Rule> {
    find(|trigger| matches!(trigger, Trigger::StopCode(c) if *c == code))
}

/// The rule of an exit code: an exact code first, then "any other non-zero".
pub fn by_exit_code(code: i32) -> Option<&'static Rule> {
    find(|trigger| matches!(trigger, Trigger::ExitCode(Codes::Exactly(codes)) if codes.contains(&code)))
        .or_else(|| {
            (code != 0)
                .then(|| find(|trigger| matches!(trigger, Trigger::ExitCode(Codes::AnyNonZero))))
                .flatten()
        })
}

/// The rule of one log line, and the cause that decided.
fn log_line_rule(line: &str) -> Option<(&'static Rule, Cause)> {
    let line = crate::cut::cap(line, 4096); // a pathological line costs no more than a long one
    let mut signals = analyze(line);
    // Shapes the literal grammar cannot say: a KeyError on an environment-variable-like name,
    // a NAME_LIKE_THIS said to be missing, an exception class name.
    for cause in super::shapes::causes(line) {
        if !signals.causes.contains(&cause) {
            signals.causes.push(cause);
        }
    }
    signals.causes.sort();
    signals
        .causes
        .iter()
        .find_map(|&cause| by_cause(cause, signals.phase, true).map(|rule| (rule, cause)))
}

/// Causes that end the process wherever they are said: another platform, out of memory, no
/// such executable, not executable, no space.
fn kills_the_process(cause: Cause) -> bool {
    matches!(
        cause,
        Cause::Platform | Cause::Oom | Cause::ExecNotFound | Cause::Permission | Cause::NoSpace
    )
}

/// The log rule of a tail, and the line that says it. A crash's cause is at its end: a cause
/// that kills the process wins wherever it is (the strongest, its last line); otherwise the
/// last line with a specific cause (a missing setting, a denied AWS call, an unreachable
/// database), and only then the last bare exception.
pub fn log_rule(lines: &[String]) -> Option<(&'static Rule, usize)> {
    let found: Vec<(usize, &'static Rule, Cause)> = lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| log_line_rule(line).map(|(rule, cause)| (index, rule, cause)))
        .collect();
    let fatal = found
        .iter()
        .filter(|(_, _, cause)| kills_the_process(*cause))
        .min_by_key(|(index, _, cause)| (*cause, std::cmp::Reverse(*index)));
    // A runtime's panic names the bug; the signal it died of (Go's nil dereference prints
    // SIGSEGV) is detail, unless nothing else is said.
    let bare = |cause: Cause| matches!(cause, Cause::Crash | Cause::Segfault);
    let crashed = found.iter().any(|(_, _, cause)| *cause == Cause::Crash);
    let specific = || found.iter().rev().find(|(_, _, cause)| !bare(*cause));
    let last_bare = || {
        found
            .iter()
            .rev()
            .find(|(_, _, cause)| *cause == Cause::Crash || !crashed)
    };
    let pick = fatal.or_else(specific).or_else(last_bare)?;
    Some((pick.1, pick.0))
}

/// The rule of a deployment state change: one whose reason cause the reason names first, then
/// one for the event name alone.
pub fn deployment_rule(event_name: &str, reason: &str) -> Option<&'static Rule> {
    let signals = analyze(reason);
    let with_cause = |trigger: &Trigger| match *trigger {
        Trigger::Deployment {
            event_name: name,
            cause: Some(cause),
        } => name == event_name && signals.has(cause),
        _ => false,
    };
    let by_name = |trigger: &Trigger| matches!(*trigger, Trigger::Deployment { event_name: name, cause: None } if name == event_name);
    find(with_cause).or_else(|| find(by_name))
}

/// The rule of a service action named `event_name` with `reason`: a named one whose cause the
/// reason says, then a named one, then what the reason itself says, then any-name ones.
pub fn service_action_rule(event_name: &str, reason: &str) -> Option<&'static Rule> {
    let signals = analyze(reason);
    let named = |names: &[&str]| names.contains(&event_name);
    let with_cause = |trigger: &Trigger| match *trigger {
        Trigger::ServiceAction {
            names,
            cause: Some(cause),
        } => named(names) && signals.has(cause),
        _ => false,
    };
    let by_name = |trigger: &Trigger| matches!(*trigger, Trigger::ServiceAction { names, cause: None } if named(names));
    find(with_cause)
        .or_else(|| find(by_name))
        .or_else(|| said(reason).map(|said| said.rule))
        .or_else(|| {
            find(|trigger| {
                matches!(*trigger, Trigger::ServiceAction { names, cause: None } if names.is_empty())
            })
        })
}

/// The rule no other rule explains: the raw reasons are quoted.
pub fn fallback() -> &'static Rule {
    find(|trigger| matches!(trigger, Trigger::Fallback)).expect("the catalog has a fallback rule")
}

/// The rule of a task that has not stopped.
pub fn not_stopped() -> &'static Rule {
    find(|trigger| matches!(trigger, Trigger::NotStopped))
        .expect("the catalog has a not-stopped rule")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Category;

    fn category(text: &str) -> Option<Category> {
        said(text).map(|said| said.rule.category)
    }

    #[test]
    fn one_cause_in_every_phase_means_what_the_phase_makes_of_it() {
        let denied = "AccessDeniedException: User: arn:aws:sts::1:assumed-role/exec/x is not authorized to perform";
        assert_eq!(
            category(&format!(
                "CannotPullContainerError: {denied} ecr:BatchGetImage"
            )),
            Some(Category::ImagePullAuth)
        );
        assert_eq!(category(&format!("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): {denied} ssm:GetParameters")), Some(Category::SecretsAccessDenied));
        assert_eq!(category(&format!("ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: {denied} logs:CreateLogStream")), Some(Category::LogGroupMissing));
    }

    #[test]
    fn a_known_phase_with_an_unknown_cause_still_says_the_phase() {
        let said = said("CannotPullContainerError: Error response from daem").unwrap();
        assert_eq!(said.rule.category, Category::Other);
        assert_eq!(said.signals.phase, Some(Phase::ImagePull));
        assert!(said.cause.is_none());
        assert!(super::said("something nobody ever wrote").is_none());
    }

    #[test]
    fn the_same_platform_problem_whoever_reports_it() {
        for text in [
            "CannotPullContainerError: pull image manifest has been retried 7 time(s): image Manifest does not contain descriptor matching platform 'linux/amd64'",
            "CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"/app\": exec format error",
        ] {
            assert_eq!(category(text), Some(Category::WrongArchitecture), "{text}");
        }
        let lines = vec!["exec /usr/local/bin/app: exec format error".to_string()];
        assert_eq!(
            log_rule(&lines).map(|(rule, _)| rule.category),
            Some(Category::WrongArchitecture)
        );
    }
}
