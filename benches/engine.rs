//! The engine's throughput: events diagnosed per second on one core, parse included.
//! `make bench` runs it; BENCHMARKS.md records the figures.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ecs_doctor::incident::{Incident, LogTail};
use ecs_doctor::redact::forget_scrubbed;
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
            // Every event is a new one: what an earlier one had scrubbed is not remembered.
            for bytes in &events {
                forget_scrubbed();
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
                forget_scrubbed();
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
        b.iter(|| {
            forget_scrubbed();
            black_box(diagnose(black_box(&with_logs)))
        })
    });
    group.finish();
}

/// Scrubbing a 50-line log tail (the shape net, the taint, the known structures): what every
/// alert with a log pays. Ordinary lines, lines with ids and ARNs, and a few secrets.
fn scrubbing(c: &mut Criterion) {
    let samples = [
        "2026-11-20T10:00:01Z INFO handled GET /v1/orders/8c1f in 12 ms (request 6f1c8e2a-4b3d-4e5f-9a8b-7c6d5e4f3a2b)",
        "\tat com.example.orders.OrderServiceImpl.lambda$processOrders$3(OrderServiceImpl.java:42)",
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/0f3a5c1e9d2b4a6f8e7d6c5b4a392817 is not authorized to perform: secretsmanager:GetSecretValue",
        "could not connect to postgres://app:S3cr3tPassw0rd@orders-db:5432/orders: connection refused",
        "pulling 123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:1.4.2-3f9c2ab@sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac",
        "{\"level\":\"error\",\"msg\":\"payment failed\",\"order_id\":\"01HRW3Z8K43HYY53PZFJF6MAD6\",\"token\":\"xK9#mP2$vL5@nQ8wR4tY\"}",
        "KeyError: 'DATABASE_URL'",
        "requirepass PlumBreezeSunflower2299",
        "2026-11-20T10:00:02Z WARN retrying connection to redis://cache.internal:6379/0 (attempt 3)",
        "Caused by: org.postgresql.util.PSQLException: FATAL: password authentication failed for user \"app\"",
    ];
    // Fifty different lines (a line seen before would be remembered as scrubbed).
    let lines: Vec<String> = (0..50)
        .map(|i| format!("{i:02} {}", samples[i % samples.len()]))
        .collect();
    let mut group = c.benchmark_group("scrub");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("a 50-line log tail", |b| {
        b.iter(|| {
            forget_scrubbed();
            black_box(ecs_doctor::redact::scrub_lines(black_box(&lines)))
        })
    });
    // The same tail again, as the diagnosis and the report's last pass scrub it: each line is
    // what a scrub gave back, and is known as such.
    let scrubbed = ecs_doctor::redact::scrub_lines(&lines);
    group.bench_function("the same tail, scrubbed again", |b| {
        b.iter(|| black_box(ecs_doctor::redact::scrub_lines(black_box(&scrubbed))))
    });
    group.finish();
}

criterion_group!(benches, engine, scrubbing);
criterion_main!(benches);
