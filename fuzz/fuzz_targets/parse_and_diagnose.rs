//! Any bytes: parse, and when they parse, diagnose and render. Nothing may panic, and what
//! leaves must fit SNS. Run: `cargo +nightly fuzz run parse_and_diagnose` (see README).
#![no_main]

use ecs_doctor::incident::{Incident, LogTail};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The tail of the input doubles as log lines, so the log rules are fuzzed too.
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (event, logs) = data.split_at(split);
    if let Ok(event) = ecs_doctor::parse(event) {
        let mut incident = Incident::from_event(event);
        if let Some(task) = incident.task().cloned() {
            if let Some(container) = ecs_doctor::diagnose::failed_container(&task, None) {
                incident.logs.push(LogTail {
                    container: container.name.clone(),
                    lines: String::from_utf8_lossy(logs).lines().map(str::to_string).collect(),
                    ..LogTail::default()
                });
            }
        }
        let report = ecs_doctor::diagnose(&incident);
        let rendered = ecs_doctor::render::render(&report);
        assert!(rendered.subject.chars().count() < 100);
    }
});
