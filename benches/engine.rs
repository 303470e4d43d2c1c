//! The engine's throughput: events diagnosed per second on one core, parse included.
//! `make bench` runs it; BENCHMARKS.md records the figures.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ecs_doctor::incident::{Incident, LogTail};
use ecs_doctor::{diagnose, parse};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/events/{name}.json", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn engine(c: &mut Criterion) {
    // A mix of what a busy account sends: crashes, pulls, secrets, benign stops, deployments.
    let names = [
        "oom",
        "app-crash",
        "image-pull-not-found",
        "secrets-access-denied",
        "scale-in-or-deployment",
        "elb-health-check",
        "spot-interruption",
        "circuit-breaker-rollback",
        "placement-resources",
        "other",
    ];
    let events: Vec<Vec<u8>> = names.iter().map(|n| fixture(n)).collect();
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("parse+diagnose, 10 mixed events", |b| {
        b.iter(|| {
            for bytes in &events {
                let event = parse(black_box(bytes)).unwrap();
                black_box(diagnose(&Incident::from_event(event)));
            }
        })
    });
    let parsed: Vec<Incident> = events
        .iter()
        .map(|b| Incident::from_event(parse(b).unwrap()))
        .collect();
    group.bench_function("diagnose only, 10 mixed events", |b| {
        b.iter(|| {
            for incident in &parsed {
                black_box(diagnose(black_box(incident)));
            }
        })
    });
    group.finish();

    // With a 50-line log tail, as the live function reads it.
    let mut with_logs = Incident::from_event(parse(&fixture("missing-env-or-config")).unwrap());
    let log = std::fs::read_to_string(format!(
        "{}/events/missing-env-or-config.log",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut lines: Vec<String> = (0..43)
        .map(|i| format!("2026-11-20T10:00:{i:02}Z INFO handled request {i} in 12 ms"))
        .collect();
    lines.extend(log.lines().map(str::to_string));
    with_logs.logs.push(LogTail {
        container: "worker".into(),
        lines,
        ..LogTail::default()
    });
    let mut group = c.benchmark_group("engine-logs");
    group.throughput(Throughput::Elements(1));
    group.bench_function("diagnose with a 50-line log tail", |b| {
        b.iter(|| black_box(diagnose(black_box(&with_logs))))
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
