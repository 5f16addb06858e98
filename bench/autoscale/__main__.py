"""Compare autoscaling policies on seeded load traces.

    .venv/bin/python -m bench.autoscale            # all traces, PNGs into docs/img/
    .venv/bin/python -m bench.autoscale --trace step --no-plots

Each trace runs every policy through the same discrete-event simulation
(:mod:`bench.autoscale.sim`); the forecast policy is reportflow's own
:class:`~reportflow.runner.autoscale.Controller`, the class the runner runs.
The table shows the p95 queue wait, the time some job waited past the wait
objective, worker-seconds (slot-seconds provisioned) and the number of scale
changes; ratios are against the HPA formula.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.autoscale.policies import FixedPolicy, HpaPolicy, ThresholdPolicy
from bench.autoscale.sim import SimResult, simulate
from bench.autoscale.traces import SERVICE_MEAN, TRACES, Trace

from reportflow.runner.autoscale import AutoscaleConfig, Controller, Policy, slots_for_wait

OBJECTIVE = 30.0
TICK = 15.0
MAX_SLOTS = 200
IMG_DIR = Path(__file__).resolve().parents[2] / "docs" / "img"


def policies(trace: Trace) -> dict[str, Policy]:
    peak = slots_for_wait(trace.peak_rate, SERVICE_MEAN, OBJECTIVE, 0.95)
    # The alert policy starts from the size for the trace's mean load (a fair
    # static baseline); its alerts add and remove steps around it.
    mean_rate = trace.arrivals.shape[0] / trace.duration
    base = slots_for_wait(mean_rate, SERVICE_MEAN, OBJECTIVE, 0.95)
    config = AutoscaleConfig(
        min_concurrency=1, max_concurrency=MAX_SLOTS, tick_seconds=TICK, wait_seconds=OBJECTIVE
    )
    return {
        f"fixed {peak}": FixedPolicy(peak),
        "hpa 70%": HpaPolicy(target_utilization=0.7, maximum=MAX_SLOTS),
        f"alert step (base {base})": ThresholdPolicy(baseline=base, maximum=MAX_SLOTS),
        "forecast": Controller(config),
    }


def run_trace(trace: Trace) -> list[SimResult]:
    out = []
    for name, policy in policies(trace).items():
        initial = policy.slots if isinstance(policy, FixedPolicy) else 4
        out.append(simulate(trace, policy, name, tick=TICK, objective=OBJECTIVE, initial=initial))
    return out


def table(trace: Trace, results: list[SimResult]) -> str:
    hpa = next(r for r in results if r.policy.startswith("hpa"))
    lines = [
        f"### {trace.title}: {trace.arrivals.shape[0]:,} jobs over {trace.duration / 3600:g} h",
        "",
        "| policy | p95 wait (s) | time over 30 s objective (s) | worker-seconds | vs HPA | "
        "utilization | scale changes |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = r.worker_seconds / hpa.worker_seconds
        lines.append(
            f"| {r.policy} | {r.p95_wait():.1f} | {r.over_objective_seconds:,.0f} | "
            f"{r.worker_seconds:,.0f} | {ratio:.2f} | {r.utilization():.0%} | {r.changes} |"
        )
    return "\n".join(lines)


def plot(trace: Trace, results: list[SimResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    scale, unit = (3600.0, "h") if trace.duration > 6 * 3600 else (60.0, "min")
    fig, (ax_rate, ax_slots, ax_wait) = plt.subplots(3, 1, figsize=(11, 8.5), sharex=True)
    width = max(60.0, trace.duration / 400)
    edges = np.arange(0.0, trace.duration + width, width)
    counts, _ = np.histogram(trace.arrivals, edges)
    mid = (edges[:-1] + edges[1:]) / 2 / scale
    ax_rate.plot(mid, counts / width, lw=0.8, color="0.4", label="arrivals (measured)")
    grid = np.linspace(0, trace.duration, 4000)
    ax_rate.plot(grid / scale, trace.rate(grid), lw=1.0, color="k", alpha=0.5, label="rate")
    ax_rate.set_ylabel("jobs/s")
    ax_rate.legend(loc="upper right", fontsize=8)
    ax_rate.set_title(trace.title)
    for r in results:
        t = np.array([p[0] for p in r.timeline]) / scale
        ax_slots.step(t, [p[1] for p in r.timeline], where="post", lw=1.0, label=r.policy)
        starts = trace.arrivals + r.waits
        order = np.argsort(starts)
        bins = np.digitize(starts[order], edges)
        w = r.waits[order]
        p95 = [
            np.percentile(w[bins == b], 95) if (bins == b).any() else np.nan
            for b in range(1, len(edges))
        ]
        ax_wait.plot(mid, p95, lw=0.9, label=r.policy)
    ax_slots.set_ylabel("target slots")
    ax_slots.legend(loc="upper right", fontsize=8)
    ax_wait.axhline(OBJECTIVE, color="red", lw=0.8, ls="--", label="objective")
    ax_wait.set_yscale("symlog", linthresh=1.0)
    ax_wait.set_ylim(bottom=0)
    ax_wait.set_ylabel("p95 wait per bin (s)")
    ax_wait.set_xlabel(f"time ({unit})")
    ax_wait.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trace", choices=sorted(TRACES), action="append")
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--seed", type=int, default=None, help="Another seed for every trace.")
    args = parser.parse_args()
    names = args.trace or list(TRACES)
    print(
        f"service time log-normal mean {SERVICE_MEAN:g} s; tick {TICK:g} s; "
        f"wait objective {OBJECTIVE:g} s (p95)\n"
    )
    for name in names:
        trace = TRACES[name]() if args.seed is None else TRACES[name](args.seed)
        began = time.perf_counter()
        results = run_trace(trace)
        print(table(trace, results))
        print(f"\n(simulated in {time.perf_counter() - began:.1f} s)\n")
        if not args.no_plots and args.seed is None:
            IMG_DIR.mkdir(parents=True, exist_ok=True)
            plot(trace, results, IMG_DIR / f"autoscale-{name}.png")


if __name__ == "__main__":
    main()
