//! What a warm Lambda container remembers between events: facts that never change (task
//! definition revisions, stopped tasks) and, for a short while, facts that rarely do (a probe's
//! findings about an image tag, a target group or a subnet; a service's tags). A crash loop then
//! costs no repeated reads.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::event::Task;
use crate::incident::TaskDefinition;

/// How long a probe's findings are reused: a crash-loop repeat within a minute or two asks
/// nothing again, and a fix made since is seen soon after.
pub const PROBE_TTL: Duration = Duration::from_secs(120);
/// How long a service's listing of stopped tasks counts the siblings of its next events: a
/// burst (a deployment's tasks failing together, a crash loop's restarts) lists once, each
/// event adding its own task; a task stopped meanwhile with no event here shows within seconds.
pub const LISTING_TTL: Duration = Duration::from_secs(15);
/// How long a service's tags are kept (they route alerts; a retag shows within the hour).
pub const TAGS_TTL: Duration = Duration::from_secs(3600);

/// Values by key, at most `capacity` of them (the map starts over when full), each kept for
/// `ttl` (None: for ever, for values that never change).
#[derive(Debug)]
pub struct Cache<V> {
    entries: Mutex<HashMap<String, (V, Option<Instant>)>>,
    capacity: usize,
    ttl: Option<Duration>,
}

impl<V: Clone> Cache<V> {
    pub fn new(capacity: usize, ttl: Option<Duration>) -> Cache<V> {
        Cache {
            entries: Mutex::new(HashMap::new()),
            capacity,
            ttl,
        }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        // The lock is never held across an await.
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (value, expires) = entries.get(key)?;
        expires
            .is_none_or(|expires| Instant::now() < expires)
            .then(|| value.clone())
    }

    pub fn insert(&self, key: &str, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            let now = Instant::now();
            entries.retain(|_, (_, expires)| expires.is_none_or(|expires| now < expires));
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        let expires = self.ttl.map(|ttl| Instant::now() + ttl);
        entries.insert(key.to_string(), (value, expires));
    }

    /// Changes the value kept under `key`, if any and not expired, without renewing it.
    pub fn update(&self, key: &str, change: impl FnOnce(&mut V)) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((value, expires)) = entries.get_mut(key) {
            if expires.is_none_or(|expires| Instant::now() < expires) {
                change(value);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every cache of one warm container.
#[derive(Debug)]
pub struct Caches {
    /// Task definition revisions by ARN: immutable once registered.
    pub task_definitions: Cache<TaskDefinition>,
    /// Stopped tasks by ARN: a stopped task never changes; each event's own task seeds it.
    pub stopped_tasks: Cache<Task>,
    /// A service's stopped tasks as ListTasks named them (newest first), by cluster and service.
    pub stopped_listings: Cache<Vec<String>>,
    /// A probe's findings (JSON), by probe and subject: `ecr:REPO:TAG`, `elb:TG_ARN`, `net:SUBNETS`.
    pub probes: Cache<serde_json::Value>,
    /// A service's (or a task family's) tags, by ARN.
    pub tags: Cache<Vec<(String, String)>>,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            task_definitions: Cache::new(256, None),
            stopped_tasks: Cache::new(1024, None),
            stopped_listings: Cache::new(256, Some(LISTING_TTL)),
            probes: Cache::new(512, Some(PROBE_TTL)),
            tags: Cache::new(512, Some(TAGS_TTL)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_their_ttl_and_a_full_cache_starts_over() {
        let cache: Cache<u32> = Cache::new(2, Some(Duration::from_millis(30)));
        cache.insert("a", 1);
        assert_eq!(cache.get("a"), Some(1));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get("a"), None);
        let forever: Cache<u32> = Cache::new(2, None);
        forever.insert("a", 1);
        forever.insert("b", 2);
        forever.insert("c", 3);
        assert_eq!(forever.len(), 1);
        assert_eq!(forever.get("c"), Some(3));
        forever.update("c", |value| *value += 1);
        forever.update("d", |value| *value += 1);
        assert_eq!((forever.get("c"), forever.get("d")), (Some(4), None));
    }
}
