#!/usr/bin/env bash
# The outside harness (../shared/bench, not ours): its loopback Runtime API (rtapi.py) serves one
# OOM-killed task's event to ecs-doctor and to its yardstick (a boto3 notifier), alternating, and
# prints each run's CPU figures (every thread, schedstat). This script runs it RUNS times per
# function against one moto server seeded by the harness's own seed_moto.py and prints the
# medians and the ratios (BENCHMARKS.md, "The outside harness").
#
#   scripts/bench-outside.sh [BOOTSTRAP]     (default target/release/ecs-doctor-lambda)
#
# HARNESS (../shared/bench), RUNS (5), EVENTS (10 per run: 1 first + 9 warm), PROBES (all).
set -euo pipefail
cd "$(dirname "$0")/.."

harness=${HARNESS:-../shared/bench}
bootstrap=${1:-target/release/ecs-doctor-lambda}
runs=${RUNS:-5}
events=${EVENTS:-10}
py=.venv/bench/bin/python
port=${MOTO_PORT:-5077}
out=target/bench/outside
mkdir -p "$out"
: >"$out/runs.jsonl"
# `cargo bench` builds the bootstrap too, in the bench profile, into the same target/release:
# measure what ships (opt-level s, LTO, stripped), not that.
if command -v file >/dev/null && file "$bootstrap" | grep -q "not stripped"; then
	echo "warning: $bootstrap is not stripped: not the release build (cargo build --release --bin ecs-doctor-lambda)" >&2
fi

.venv/bin/moto_server -H 127.0.0.1 -p "$port" >"$out/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
for _ in $(seq 50); do
	curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break
	sleep 0.2
done
topic=$("$py" "$harness/seed_moto.py" "http://127.0.0.1:$port" "$out/event.json" |
	"$py" -c 'import json,sys; print(json.load(sys.stdin)["TOPIC_ARN"])')

export TOPIC_ARN=$topic AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=test \
	AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
	DEDUPE_WINDOW_MINUTES=0 PROBES=${PROBES:-all}

for i in $(seq "$runs"); do
	"$py" "$harness/rtapi.py" "$out/event.json" "$events" $((port + 1)) -- "$bootstrap" |
		sed 's/^/{"function": "ecs-doctor", "line": /; s/$/}/' >>"$out/runs.jsonl"
	cp /tmp/rtapi.stdout "$out/ecs-doctor-$i.log"
	PYTHONPATH="$harness/peer" "$py" "$harness/rtapi.py" "$out/event.json" "$events" $((port + 1)) \
		-- "$py" -m awslambdaric handler.handler |
		sed 's/^/{"function": "yardstick", "line": /; s/$/}/' >>"$out/runs.jsonl"
done

"$py" - "$out/runs.jsonl" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
fig = ("cpu_init_ms", "cpu_first_ms", "cpu_warm_ms", "init_ms", "first_response_ms", "warm_avg_ms", "maxrss_kb")
med = {}
for f in ("ecs-doctor", "yardstick"):
    runs = [r["line"] for r in rows if r["function"] == f]
    bad = [r for r in runs if r["errors"] or r["invocations"] == 0]
    med[f] = {k: statistics.median(r[k] for r in runs if r[k] is not None) for k in fig}
    print(f"{f}: {len(runs)} runs, {len(bad)} with errors; each run's first/warm CPU ms:",
          [(r["cpu_first_ms"], r["cpu_warm_ms"]) for r in runs])
print(f"| figure (median of the runs) | ecs-doctor | yardstick | ecs-doctor / yardstick |")
print("|---|---|---|---|")
for k in fig:
    a, b = med["ecs-doctor"][k], med["yardstick"][k]
    print(f"| {k} | {a:.2f} | {b:.2f} | {a / b:.2f} |")
EOF
