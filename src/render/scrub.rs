//! Every string of a report scrubbed of secrets, by construction: each type lists all of its
//! fields (a field added later does not compile until it is placed here), and every string among
//! them goes through [`crate::redact::Keep::scrub`]. Numbers, enums and flags carry no secret.
//! The names the report is about (cluster, service, container, task definition, log group and
//! stream: names ECS gave back) are kept from the shape net, so a generated name
//! (`api-Service-ZMAe8F2ERZtu`) reads the same in the summary as in the resources.

use crate::incident::Gap;
use crate::redact::Keep;
use crate::report::{
    Change, EventInfo, Evidence, Finding, IncidentRef, Link, Occurrences, Report, Resources,
    RootCause, Step, WhatChanged,
};

pub(super) trait Scrub {
    fn scrub(&mut self, keep: &Keep);
}

impl Scrub for String {
    fn scrub(&mut self, keep: &Keep) {
        if let std::borrow::Cow::Owned(clean) = keep.scrub(self) {
            *self = clean;
        }
    }
}

impl<T: Scrub> Scrub for Option<T> {
    fn scrub(&mut self, keep: &Keep) {
        if let Some(value) = self {
            value.scrub(keep);
        }
    }
}

impl<T: Scrub> Scrub for Vec<T> {
    fn scrub(&mut self, keep: &Keep) {
        self.iter_mut().for_each(|item| item.scrub(keep));
    }
}

/// A count by name (occurrences by category): the name.
impl<T: Scrub> Scrub for (T, usize) {
    fn scrub(&mut self, keep: &Keep) {
        self.0.scrub(keep);
    }
}

/// The routing tags: their values (the keys are the names in ROUTING_TAGS).
impl<K: Ord, V: Scrub> Scrub for std::collections::BTreeMap<K, V> {
    fn scrub(&mut self, keep: &Keep) {
        self.values_mut().for_each(|value| value.scrub(keep));
    }
}

/// `Scrub` for a struct: every field named, those that carry text scrubbed, the others (numbers,
/// enums, flags) listed after `;` — a field missing from either list does not compile.
macro_rules! scrub_fields {
    ($ty:ident { $($field:ident),* ; $($skip:ident),* }) => {
        impl Scrub for $ty {
            fn scrub(&mut self, keep: &Keep) {
                let $ty { $($field,)* $($skip: _,)* } = self;
                $( Scrub::scrub($field, keep); )*
            }
        }
    };
}

scrub_fields!(Report {
    rule, title, summary, root_cause, event, resources, evidence, log_excerpt, next_steps,
    findings, occurrences, links, gaps, incident, what_changed, routing;
    schema_version, category, severity, notify
});
scrub_fields!(RootCause { rule, title, summary; category });
scrub_fields!(EventInfo { id, detail_type, name, time; });
scrub_fields!(Resources {
    account, region, cluster, service, task_arn, task_id, task_definition, container,
    deployment_id, log_group, log_stream, hook_id, service_deployment;
});
scrub_fields!(Evidence { source, text, verified_by; });
scrub_fields!(Step { title, command; });
scrub_fields!(Finding { id, text; });
scrub_fields!(Occurrences { by_category; tasks, same_cause, window_minutes });
scrub_fields!(Link { label, url; });
scrub_fields!(Gap { what, reason, action, fix; kind });
scrub_fields!(IncidentRef { id, thread, message, opened_at, services; occurrences });
scrub_fields!(WhatChanged { from, to, registered_by, registered_at, basis, changes; });
scrub_fields!(Change { field, container, text; });
