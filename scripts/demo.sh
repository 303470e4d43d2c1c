#!/usr/bin/env bash
# The demo: moto plays AWS, the real Lambda under `cargo lambda watch` diagnoses a broken service, and what SNS
# delivered is printed per subscriber. Everything it starts is stopped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

test -x .venv/bin/moto_server || { echo "run 'make venv' first (moto is missing)" >&2; exit 1; }
# cargo lambda (from the venv) runs the function; the demo drives it with `cargo lambda invoke`.
export PATH="$PWD/.venv/bin:$PATH"
cargo build --quiet --bin ecs-doctor-lambda --bin ecs-doctor --example demo
exec target/debug/examples/demo
