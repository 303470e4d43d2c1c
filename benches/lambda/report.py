#!/usr/bin/env python3
"""Turns one `make bench` run into the table of BENCHMARKS.md: the harness's JSON (harness.py),
criterion's estimates for the engine, the deployment zip's size and the machine, against the
targets of the performance issue. Standard library only."""

import argparse
import json
import os
import platform
import statistics

MIB = 1024 * 1024


def criterion(root, group, name):
    path = os.path.join(root, group, name, "new", "estimates.json")
    try:
        with open(path) as f:
            estimates = json.load(f)
    except OSError:
        return None
    return estimates["median"]["point_estimate"], estimates["mean"]["point_estimate"]


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Linux {platform.release()}, {platform.machine()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lambda-json", required=True)
    parser.add_argument("--criterion", default="target/criterion")
    parser.add_argument("--zip", default="target/lambda/ecs-doctor-lambda/bootstrap.zip")
    parser.add_argument("--bootstrap", default="target/release/ecs-doctor-lambda")
    args = parser.parse_args()
    with open(args.lambda_json) as f:
        run = json.load(f)
    passes = run["passes"]
    calm = passes.get("0") or next(iter(passes.values()))
    slow_key = max(passes, key=float)
    slow = passes[slow_key]
    delay = slow["delay_ms"]
    e0, p0 = calm["functions"]["ecs-doctor"], calm["functions"]["peer"]
    e1, p1 = slow["functions"]["ecs-doctor"], slow["functions"]["peer"]

    rows = []

    def row(figure, ours, peer, ratio, target, met):
        rows.append(f"| {figure} | {ours} | {peer} | {ratio} | {target} | {met} |")

    def ok(condition):
        return "yes" if condition else "**no**"

    def inits(name):
        return [v for p in passes.values() for v in p["functions"][name]["init_ms_all"]]

    init_e, init_p = statistics.median(inits("ecs-doctor")), statistics.median(inits("peer"))
    init_ratio = init_p / init_e
    row(
        f"init (exec → first GET /next), median of {len(inits('ecs-doctor'))} cold starts",
        f"{init_e:.1f} ms",
        f"{init_p:.0f} ms",
        f"{init_ratio:.0f}× faster",
        "≤ 10 ms, ≥ 20× faster",
        ok(init_e <= 10 and init_ratio >= 20),
    )
    init_cpu_e = statistics.median(p["functions"]["ecs-doctor"]["init_cpu_ms_median"] for p in passes.values())
    init_cpu_p = statistics.median(p["functions"]["peer"]["init_cpu_ms_median"] for p in passes.values())
    row("init CPU time (every thread, schedstat)", f"{init_cpu_e:.2f} ms", f"{init_cpu_p:.0f} ms", f"{init_cpu_p / init_cpu_e:.0f}× less", "", "")
    for label, part, e, p in (
        ("first event CPU time, no injected latency", "first_cpu_ms_median", e0, p0),
        ("warm event CPU time, no injected latency", "warm_cpu_ms_median", e0, p0),
        (f"first event CPU time, {delay:g} ms per call", "first_cpu_ms_median", e1, p1),
        (f"warm event CPU time, {delay:g} ms per call", "warm_cpu_ms_median", e1, p1),
    ):
        ratio = p[part] / e[part]
        row(label, f"{e[part]:.2f} ms", f"{p[part]:.2f} ms", f"{ratio:.1f}× less", "≤ ⅓ of the peer's", ok(ratio >= 3))
    for label, part, e, p in (
        ("first invocation, no injected latency", "first_ms_median", e0, p0),
        ("warm invocation median, no injected latency", "warm_ms_median", e0, p0),
        ("warm invocation p90, no injected latency", "warm_ms_p90", e0, p0),
        (f"first invocation, {delay:g} ms per call", "first_ms_median", e1, p1),
        (f"warm invocation median, {delay:g} ms per call", "warm_ms_median", e1, p1),
        (f"warm invocation p90, {delay:g} ms per call", "warm_ms_p90", e1, p1),
    ):
        ratio = p[part] / e[part]
        said = f"{ratio:.2f}× faster" if ratio >= 1 else f"{1 / ratio:.2f}× slower"
        row(label, f"{e[part]:.1f} ms", f"{p[part]:.1f} ms", said, "", "")
    row(
        f"warm critical path of the calls ({delay:g} ms per call), median",
        f"{e1['warm_cp_ms_median']:.1f} ms",
        f"{p1['warm_cp_ms_median']:.1f} ms (sum {p1['warm_sum_ms_median']:.0f} ms)",
        "",
        f"ideal {3 * delay:g} ms (3 round trips)",
        "",
    )
    row(
        f"warm end to end / critical path ({delay:g} ms per call), median (p90)",
        f"{e1['warm_over_cp_median']:.3f} ({e1['warm_over_cp_p90']:.3f})",
        f"{p1['warm_over_cp_median']:.2f} ({p1['warm_over_cp_p90']:.2f})",
        "",
        "≤ 1.05",
        ok(e1["warm_over_cp_median"] <= 1.05),
    )
    row(
        f"first end to end / critical path ({delay:g} ms per call), median",
        f"{e1['first_over_cp_median']:.3f}",
        f"{p1['first_over_cp_median']:.2f}",
        "",
        "≤ 1.05",
        ok(e1["first_over_cp_median"] <= 1.05),
    )
    rss_e = max(e0["peak_rss_kb"], e1["peak_rss_kb"]) / 1024
    rss_p = max(p0["peak_rss_kb"], p1["peak_rss_kb"]) / 1024
    row(
        "peak RSS (VmHWM)",
        f"{rss_e:.1f} MiB",
        f"{rss_p:.1f} MiB",
        f"{rss_p / rss_e:.1f}× smaller",
        "≤ 16 MiB",
        ok(rss_e <= 16),
    )
    row(
        "AWS calls, first event",
        f"{e1['calls_first']:g}",
        f"{p1['calls_first']:g}",
        "",
        "",
        "",
    )
    row(
        "AWS calls, crash-loop repeat (cache warm)",
        f"{e1['calls_warm']:g}",
        f"{p1['calls_warm']:g}",
        "",
        "",
        "",
    )
    if os.path.exists(args.zip):
        size = os.path.getsize(args.zip)
        row("arm64 zip (`make package`)", f"{size:,} B ({size / MIB:.2f} MiB)", "", "", "≤ 4 MB", ok(size <= 4_000_000))
    elif os.path.exists(args.bootstrap):
        size = os.path.getsize(args.bootstrap)
        row("x86_64 release bootstrap (no arm64 zip built)", f"{size:,} B ({size / MIB:.2f} MiB)", "", "", "zip ≤ 4 MB", "n/a")
    only = criterion(args.criterion, "engine", "diagnose only, 10 mixed events")
    if only:
        per_second = 10 / (only[0] * 1e-9)
        row(
            "engine: diagnose only, 10 mixed events (criterion median)",
            f"{only[0] / 1000:.2f} µs = {per_second:,.0f} events/s",
            "",
            "",
            "≥ 100,000 events/s",
            ok(per_second >= 100_000),
        )
    engine = criterion(args.criterion, "engine", "parse+diagnose, 10 mixed events")
    if engine:
        row("engine: parse + diagnose, 10 mixed events", f"{engine[0] / 1000:.2f} µs = {10 / (engine[0] * 1e-9):,.0f} events/s", "", "", "", "")
    logs = criterion(args.criterion, "engine-logs", "diagnose with a 50-line log tail")
    if logs:
        row("engine: diagnose with a 50-line log tail", f"{logs[0] / 1000:.2f} µs = {1 / (logs[0] * 1e-9):,.0f} events/s", "", "", "", "")

    print(f"Machine: {machine()}")
    print(
        f"Harness: {e0['cold_starts']} cold starts per function and pass, {e0['warm_events']} warm events per pass; "
        f"passes at 0 and {delay:g} ms per AWS call; {run.get('siblings_seeded', 0)} stopped sibling tasks seeded\n"
    )
    print("| figure | ecs-doctor | boto3 peer | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(
        f"\nCalls of a first event (ecs-doctor, in order of arrival): {', '.join(e1['actions_first'])}; "
        f"of a repeat: {', '.join(e1['actions_warm'])}."
    )
    print(f"Calls of every peer event: {', '.join(p1['actions_first'])}.")
    print(
        f"init range: ecs-doctor {min(inits('ecs-doctor')):.1f}–{max(inits('ecs-doctor')):.1f} ms, "
        f"peer {min(inits('peer')):.0f}–{max(inits('peer')):.0f} ms."
    )
    probes = run.get("probes")
    if probes:
        print(
            "\nWhat the probes cost, per probed category (ecs-doctor alone, 40 ms per call; the same "
            "event with PROBES=all and PROBES=none, first event and the median of the repeats):\n"
        )
        print("| category | verified facts | calls, first event (probes on / off) | added to the first event | calls, repeat (on / off) | added to a repeat |")
        print("|---|---|---|---|---|---|")
        for name, p in probes.items():
            on, off = p["all"], p["none"]
            warm = "" if on["warm_ms"] is None else f"{on['warm_ms'] - off['warm_ms']:+.0f} ms"
            print(
                f"| {name} | {on.get('verified')} | {len(on['first_calls'])} / {len(off['first_calls'])} | "
                f"{on['first_ms'] - off['first_ms']:+.0f} ms ({p['added_first_round_trips']:.2f} round trips) | "
                f"{len(on['warm_calls'])} / {len(off['warm_calls'])} | {warm} |"
            )
        print()
        for name, p in probes.items():
            calls = [c for c in p["all"]["first_calls"] if c not in p["none"]["first_calls"] or p["all"]["first_calls"].count(c) > p["none"]["first_calls"].count(c)]
            print(f"{name}: the probes' calls: {', '.join(sorted(set(calls)))}.")
    for label, key in (("first", "first_phases_median"), ("warm", "warm_phases_median")):
        for name, e in (("no injected latency", e0), (f"{delay:g} ms per call", e1)):
            if key in e:
                phases = ", ".join(f"{k[:-3]} {v:.1f}" for k, v in e[key].items())
                print(f"ecs-doctor's own summary line, {label} event, {name} (ms, medians): {phases}.")


if __name__ == "__main__":
    main()
