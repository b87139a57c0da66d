"""The table of scripts/bench-converge.sh, from its results directory: one JSON file per
ansible-playbook run (the ansible.posix.json callback) and its wall time beside it
(LABEL.CONNECTION.KIND.N.json and .time). Prints Markdown.

    python scripts/bench_converge_report.py .cache/bench/results
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

SLOWEST = 10


@dataclass
class RunSet:
    """The runs of one checkout, connection and kind (noop, caddy, cron-minute)."""

    walls: list[float] = field(default_factory=list)
    tasks: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    # task name -> its time in each run (seconds)
    task_times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def seconds(duration: dict[str, str]) -> float:
    # Tasks that run on no host (meta tasks, a when false for all) have no end.
    if "end" not in duration:
        return 0.0
    start, end = (datetime.fromisoformat(duration[key]) for key in ("start", "end"))
    return (end - start).total_seconds()


def read_run(path: Path, into: RunSet) -> None:
    # The JSON document starts at a line of its own: the enabled callbacks (profile_tasks)
    # print around it.
    text = path.read_text()
    start = 0 if text.startswith("{\n") else text.index("\n{\n") + 1
    report, _ = json.JSONDecoder().raw_decode(text, start)
    stats = list(report["stats"].values())
    # ok counts changed results too; skipped tasks cost (almost) nothing remote.
    into.tasks.append(sum(host["ok"] + host["failures"] + host["unreachable"] for host in stats))
    into.changed.append(sum(host["changed"] for host in stats))
    into.walls.append(float(path.with_suffix(".time").read_text()))
    per_task: dict[str, float] = defaultdict(float)
    for play in report["plays"]:
        for task in play["tasks"]:
            per_task[task["task"]["name"]] += seconds(task["task"]["duration"])
    for name, spent in per_task.items():
        into.task_times[name].append(spent)


def load(results: Path) -> dict[tuple[str, str, str], RunSet]:
    sets: dict[tuple[str, str, str], RunSet] = defaultdict(RunSet)
    for path in sorted(results.glob("*.*.*.*.json")):
        label, connection, kind, _ = path.name.split(".", 3)
        read_run(path, sets[(label, connection, kind)])
    return sets


def table(sets: dict[tuple[str, str, str], RunSet]) -> list[str]:
    lines = [
        "| checkout | connection | run | n | tasks | changed | wall min | median | max | s/task |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (label, connection, kind), runs in sorted(sets.items()):
        median = statistics.median(runs.walls)
        tasks = int(statistics.median(runs.tasks))
        cells = [label, connection, kind, len(runs.walls), tasks, max(runs.changed)]
        cells += [f"{wall:.1f}" for wall in (min(runs.walls), median, max(runs.walls))]
        cells.append(f"{median / max(tasks, 1):.2f}")
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return lines


def slowest(label: str, connection: str, runs: RunSet) -> list[str]:
    medians = sorted(
        ((statistics.median(times), name) for name, times in runs.task_times.items()), reverse=True
    )[:SLOWEST]
    title = f"Slowest tasks, {label} over {connection} (median of {len(runs.walls)} no-op runs):"
    lines = ["", title, ""]
    lines += [f"- {spent:.2f} s  {name}" for spent, name in medians]
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    sets = load(Path(argv[0]))
    if not sets:
        print(f"no runs in {argv[0]}", file=sys.stderr)
        return 1
    lines = table(sets)
    for (label, connection, kind), runs in sorted(sets.items()):
        if kind == "noop":
            lines += slowest(label, connection, runs)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
