//! The facts the probes find, as plain data: `investigate/` fills them (I/O), `diagnose`
//! concludes from them (pure). No AWS SDK, no clock, no I/O here.

pub mod capacity;
pub mod changes;
pub mod deployments;
pub mod ecr;
pub mod elb;
pub mod hooks;
pub mod memory;
pub mod network;
pub mod probes;
pub mod secrets;

use serde::{Deserialize, Serialize};

use crate::incident::Gap;

pub use probes::{Probe, Probes};

/// `Investigation`, a field a read (probes.rs declares them), and its merge.
macro_rules! investigation {
    ($($(#[$doc:meta])* $name:ident = $id:literal, for $purpose:literal, reads [$($action:ident),* $(,)?],
        finds [$($(#[$field_doc:meta])* $field:ident: $ask:ty => $found:ty, by $read:path, $what:literal;)+];)*) => {
        /// Everything the probes found, and what they could not see.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct Investigation {
            $($($(#[$field_doc])* pub $field: $found,)+)*
            pub gaps: Vec<Gap>,
            /// The probes that ran, by id.
            pub ran: Vec<String>,
        }

        impl Investigation {
            /// Adds what a later wave found.
            pub fn merge(&mut self, later: Investigation) {
                $($(Slot::merge(&mut self.$field, later.$field);)+)*
                self.gaps.extend(later.gaps);
                self.ran.extend(later.ran);
            }
        }
    };
}

probes::declared_probes!(investigation);

/// Where a read's findings sit in the `Investigation`: one finding, or a list of them.
pub trait Slot: Default {
    /// Keeps what a later wave found.
    fn merge(&mut self, later: Self);
}

impl<T> Slot for Option<T> {
    fn merge(&mut self, later: Self) {
        if later.is_some() {
            *self = later;
        }
    }
}

impl<T> Slot for Vec<T> {
    fn merge(&mut self, later: Self) {
        self.extend(later);
    }
}

/// A read's answer put in its slot; what it could not see on the way goes to the gaps.
pub trait Answer<S> {
    fn into_slot(self, gaps: &mut Vec<Gap>) -> S;
}

impl<T> Answer<Option<T>> for T {
    fn into_slot(self, _: &mut Vec<Gap>) -> Option<T> {
        Some(self)
    }
}

impl<T> Answer<Vec<T>> for Vec<T> {
    fn into_slot(self, _: &mut Vec<Gap>) -> Vec<T> {
        self
    }
}
