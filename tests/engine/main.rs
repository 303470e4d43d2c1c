//! The engine's tests: everything that needs no local AWS (fixtures and their snapshots, the
//! corpus of real messages, the scrubber, the rules, the templates, the command line, the
//! handler on mocked SDK clients). One crate, so the SDK is linked once for all of them.

#[path = "../support/mod.rs"]
mod support;

mod bad_input;
mod chat_actions;
mod cli;
mod corpus;
mod fixtures;
mod gather_mocks;
mod investigated;
mod log_rules;
mod secrets;
mod shapes;
mod template;
mod trust;
