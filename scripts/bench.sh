#!/usr/bin/env bash
# `make bench`: the engine's criterion benchmark, then the Lambda harness (benches/lambda/): the
# release bootstrap and the boto3 peer (peer/) under one loopback Lambda Runtime API, against moto
# behind a latency proxy. Loopback only; nothing calls AWS. Writes target/bench/lambda.json and
# target/bench/report.md (the table of BENCHMARKS.md).
#
# Bounds: BENCH_COLD_STARTS (5) cold starts per function and pass, BENCH_WARM (20) warm events
# each, BENCH_DELAYS_MS ("0,40") the injected latencies, one pass each; the harness is killed
# after 15 minutes whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/bench
mkdir -p "$out"
py=.venv/bench/bin/python

echo "== engine: cargo bench --bench engine" >&2
cargo bench --bench engine

echo "== the release bootstrap: cargo build --release --bin ecs-doctor-lambda" >&2
cargo build --release --bin ecs-doctor-lambda

echo "== the Lambda harness" >&2
timeout 900 "$py" benches/lambda/harness.py \
	--bootstrap target/release/ecs-doctor-lambda \
	--moto-server .venv/bin/moto_server \
	--peer-dir peer \
	--cold-starts "${BENCH_COLD_STARTS:-5}" \
	--warm "${BENCH_WARM:-20}" \
	--delays-ms "${BENCH_DELAYS_MS:-0,40}" \
	--json "$out/lambda.json"

"$py" benches/lambda/report.py --lambda-json "$out/lambda.json" | tee "$out/report.md"

# The outside harness (../shared/bench, not ours), when it is there: the same release bootstrap and
# its yardstick, a boto3 notifier, under its own Runtime API (BENCHMARKS.md, "The outside harness").
if [ -d "${HARNESS:-../shared/bench}" ]; then
	echo "== the outside harness: scripts/bench-outside.sh" >&2
	scripts/bench-outside.sh target/release/ecs-doctor-lambda | tee "$out/outside.md"
fi
