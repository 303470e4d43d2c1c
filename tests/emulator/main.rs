//! The tests against a local AWS: moto's server (started per test on a free port, see
//! `support`), a canned AWS that fails on purpose, and the Lambda binary under a local Runtime
//! API. One crate, so the SDK is linked once for all of them.

#[path = "../support/mod.rs"]
mod support;

mod assume_role_moto;
mod faults;
mod flood_day;
mod flood_moto;
mod history_moto;
mod investigate_moto;
mod lambda_binary;
mod pipeline_moto;
mod routing_moto;
mod secrets_moto;
mod secrets_probe_moto;
