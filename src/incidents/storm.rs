//! Storms: when several services of one cluster start failing the same way within minutes (a
//! registry, NAT gateway or secrets outage), one cluster-level alert names them all instead of
//! one alert per service. Pure, like `decide`: (the cluster's state, an incident about to open)
//! → alone, the storm starts, it joins the storm, or the storm has doubled since it was last said
//! (one message on its thread names every service: bounded, a storm of n services says so at
//! most log2(n) times more).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::decide::Clock;
use crate::report::{Category, Group};

/// STORM_SERVICES and STORM_WINDOW_MINUTES.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StormPolicy {
    /// This many services opening incidents of one category make a storm (0 turns it off).
    pub services: usize,
    /// Within this much event time of each other.
    pub window: Duration,
}

impl Default for StormPolicy {
    fn default() -> Self {
        StormPolicy {
            services: 3,
            window: Duration::from_secs(10 * 60),
        }
    }
}

/// The cluster's recent incident openings and its storms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterState {
    pub openings: Vec<Opening>,
    pub storms: Vec<Storm>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    /// The scope's subject (`service:api`).
    pub subject: String,
    pub category: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Storm {
    pub category: String,
    pub started_at: i64,
    pub last_at: i64,
    pub subjects: Vec<String>,
    /// The event whose message announced it (or its growth): its retry announces it again.
    pub announced_by: String,
    /// How many services the last message about it named (0 in states stored before it was
    /// kept: taken as the services it has).
    #[serde(default)]
    pub announced: usize,
    /// The messages that said it grew.
    #[serde(default)]
    pub updates: u32,
}

impl Storm {
    /// The storm's stable id, its chat thread.
    pub fn id(&self) -> String {
        format!("storm:{}@{}", self.category, self.started_at)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StormDecision {
    /// No storm: the service's own alert goes out.
    Alone,
    /// This incident makes it a storm: one cluster-level alert names every service in it.
    Starts(Storm),
    /// A storm already announced covers it: the service's incident opens without a message.
    Joins(Storm),
    /// It joins, and the storm now has twice the services its last message named: one message
    /// on the storm's thread names every service.
    Grows(Storm),
}

/// A storm is said again when it has this many times the services its last message named.
const GROWTH: usize = 2;

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 4)
}

/// Whether a category can be a storm: a cause outside the containers (the registry, the
/// network, secrets, logging, placement, the hosts, a shared database). Many services crashing
/// on their own code at once are many incidents.
pub fn can_storm(category: Category) -> bool {
    matches!(
        category.group(),
        Group::Starting | Group::Infrastructure | Group::Service
    ) || category == Category::DbConnection
}

/// Decides whether `subject`'s new incident of `category` (decided by `event_id`) is part of a
/// storm; returns the decision and the cluster state to store.
pub fn storm(
    cluster: &ClusterState,
    subject: &str,
    category: &str,
    event_id: &str,
    clock: Clock,
    policy: &StormPolicy,
) -> (StormDecision, ClusterState) {
    let mut next = cluster.clone();
    let eligible = Category::from_id(category).is_some_and(can_storm);
    if policy.services < 2 || !eligible {
        return (StormDecision::Alone, next);
    }
    let window = ms(policy.window);
    next.openings
        .retain(|opening| clock.at_ms - opening.at < window);
    next.storms
        .retain(|storm| clock.at_ms - storm.last_at < window);
    if let Some(storm) = next
        .storms
        .iter_mut()
        .find(|storm| storm.category == category)
    {
        let decision = join(storm, subject, event_id, clock);
        return (decision, next);
    }
    if !next
        .openings
        .iter()
        .any(|opening| opening.subject == subject && opening.category == category)
    {
        next.openings.push(Opening {
            subject: subject.to_string(),
            category: category.to_string(),
            at: clock.at_ms,
        });
    }
    let mut subjects: Vec<String> = Vec::new();
    for opening in next.openings.iter().filter(|o| o.category == category) {
        if !subjects.contains(&opening.subject) {
            subjects.push(opening.subject.clone());
        }
    }
    if subjects.len() < policy.services {
        return (StormDecision::Alone, next);
    }
    let started_at = next
        .openings
        .iter()
        .filter(|o| o.category == category)
        .map(|o| o.at)
        .min()
        .unwrap_or(clock.at_ms);
    let storm = Storm {
        category: category.to_string(),
        started_at,
        last_at: clock.at_ms,
        announced: subjects.len(),
        subjects,
        announced_by: event_id.to_string(),
        updates: 0,
    };
    next.storms.push(storm.clone());
    (StormDecision::Starts(storm), next)
}

/// `subject` joins `storm`: silently, or with a message when the storm has doubled since it
/// was last said. A retry of the event that said it says it again.
fn join(storm: &mut Storm, subject: &str, event_id: &str, clock: Clock) -> StormDecision {
    if storm.announced == 0 {
        storm.announced = storm.subjects.len();
    }
    if storm.announced_by == event_id {
        return match storm.updates {
            0 => StormDecision::Starts(storm.clone()),
            _ => StormDecision::Grows(storm.clone()),
        };
    }
    if !storm.subjects.iter().any(|s| s == subject) {
        storm.subjects.push(subject.to_string());
    }
    storm.last_at = storm.last_at.max(clock.at_ms);
    if storm.subjects.len() >= GROWTH * storm.announced {
        storm.announced = storm.subjects.len();
        storm.announced_by = event_id.to_string();
        storm.updates += 1;
        return StormDecision::Grows(storm.clone());
    }
    StormDecision::Joins(storm.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    #[test]
    fn the_third_service_failing_the_same_way_starts_a_storm_and_the_rest_join_it() {
        let (decisions, cluster) = storm_of(10);
        assert!(matches!(decisions[0], StormDecision::Alone));
        assert!(matches!(decisions[1], StormDecision::Alone));
        let StormDecision::Starts(storm) = &decisions[2] else {
            panic!("{:?}", decisions[2]);
        };
        assert_eq!(storm.subjects.len(), 3);
        assert!(decisions[3..]
            .iter()
            .all(|d| matches!(d, StormDecision::Joins(_) | StormDecision::Grows(_))));
        assert_eq!(cluster.storms[0].subjects.len(), 10);
    }

    /// Services 0..n of a cluster failing the same way, 30 s apart; each decision.
    fn storm_of(services: i64) -> (Vec<StormDecision>, ClusterState) {
        let mut cluster = ClusterState::default();
        let mut decisions = Vec::new();
        for service in 0..services {
            let at = service * 30_000;
            let (decision, next) = storm(
                &cluster,
                &format!("service:s{service}"),
                "image-pull-network",
                &format!("e{service}"),
                Clock::new(Some(at), at),
                &StormPolicy::default(),
            );
            cluster = next;
            decisions.push(decision);
        }
        (decisions, cluster)
    }

    #[test]
    fn a_storm_that_grows_from_three_services_to_ten_is_said_when_it_doubles_naming_every_service()
    {
        let (decisions, _) = storm_of(13);
        let said: Vec<(usize, usize)> = decisions
            .iter()
            .enumerate()
            .filter_map(|(index, decision)| match decision {
                StormDecision::Starts(storm) | StormDecision::Grows(storm) => {
                    Some((index, storm.subjects.len()))
                }
                _ => None,
            })
            .collect();
        // Started by the third, said again at six and at twelve: bounded.
        assert_eq!(said, [(2, 3), (5, 6), (11, 12)]);
        let StormDecision::Grows(grown) = &decisions[5] else {
            panic!("{:?}", decisions[5]);
        };
        let named: Vec<&str> = grown.subjects.iter().map(String::as_str).collect();
        assert_eq!(
            named,
            [
                "service:s0",
                "service:s1",
                "service:s2",
                "service:s3",
                "service:s4",
                "service:s5"
            ]
        );
        assert_eq!(
            grown.id(),
            "storm:image-pull-network@0",
            "the same storm, its thread"
        );
    }

    #[test]
    fn the_retry_of_the_event_that_said_the_storm_grew_says_it_again() {
        let (decisions, cluster) = storm_of(6);
        assert!(matches!(decisions[5], StormDecision::Grows(_)));
        let (again, _) = storm(
            &cluster,
            "service:s5",
            "image-pull-network",
            "e5",
            Clock::new(Some(150_000), 160_000),
            &StormPolicy::default(),
        );
        assert_eq!(again, decisions[5]);
    }

    #[test]
    fn a_storm_stored_before_its_count_was_kept_is_not_said_again_at_once() {
        let (_, mut cluster) = storm_of(3);
        cluster.storms[0].announced = 0;
        let (decision, _) = storm(
            &cluster,
            "service:s3",
            "image-pull-network",
            "e3",
            Clock::new(Some(90_000), 90_000),
            &StormPolicy::default(),
        );
        assert!(matches!(decision, StormDecision::Joins(_)), "{decision:?}");
    }

    #[test]
    fn services_crashing_on_their_own_code_are_no_storm() {
        let mut cluster = ClusterState::default();
        for service in 0..5 {
            let (decision, next) = storm(
                &cluster,
                &format!("service:s{service}"),
                "app-crash",
                &format!("e{service}"),
                Clock::new(Some(service), service),
                &StormPolicy::default(),
            );
            assert_eq!(decision, StormDecision::Alone);
            cluster = next;
        }
    }

    #[test]
    fn other_categories_and_old_openings_do_not_make_a_storm() {
        let policy = StormPolicy::default();
        let (_, cluster) = storm(
            &ClusterState::default(),
            "service:a",
            "oom",
            "e1",
            Clock::new(Some(0), 0),
            &policy,
        );
        let (_, cluster) = storm(
            &cluster,
            "service:b",
            "app-crash",
            "e2",
            Clock::new(Some(MINUTE), MINUTE),
            &policy,
        );
        let late = 30 * MINUTE;
        let (decision, _) = storm(
            &cluster,
            "service:c",
            "oom",
            "e3",
            Clock::new(Some(late), late),
            &policy,
        );
        assert_eq!(decision, StormDecision::Alone);
    }
}
