"""Aggregates scripts/bench runs: medians per front/workload/server, zfpm/php-fpm ratios.

usage: report.py RUNS_CSV MEMORY_CSV OUT_PREFIX COMMAND
Writes OUT_PREFIX.md and OUT_PREFIX.csv and prints the Markdown table.
"""
import csv
import statistics
import sys
from collections import defaultdict

runs_csv, memory_csv, prefix, command = sys.argv[1:5]
FIELDS = ["rps", "p50_ms", "p99_ms", "max_ms", "errors", "unanswered", "rss_kib"]

groups = defaultdict(list)
order = []
for row in csv.DictReader(open(runs_csv)):
    key = (row["front"], row["workload"], row["server"])
    if key not in groups:
        order.append(key)
    groups[key].append({f: float(row[f]) for f in FIELDS})


def median(key, field):
    return statistics.median(r[field] for r in groups[key])


def count(value):
    return "–" if value < 0 else f"{value:.0f}"  # -1: the front cannot tell (Caddy)


def ratio(a, b):
    return a / b if b else float("nan")


table = []
seen = set()
for front, workload, _ in order:
    if (front, workload) in seen:
        continue
    seen.add((front, workload))
    z, f = (front, workload, "zfpm"), (front, workload, "fpm")
    if z not in groups or f not in groups:
        continue
    row = {"front": front, "workload": workload, "reps": len(groups[z])}
    for server, key in (("zfpm", z), ("fpm", f)):
        for field in FIELDS:
            row[f"{server}_{field}"] = median(key, field)
    row["rps_ratio"] = ratio(row["zfpm_rps"], row["fpm_rps"])
    row["p99_ratio"] = ratio(row["zfpm_p99_ms"], row["fpm_p99_ms"])
    row["rss_ratio"] = ratio(row["zfpm_rss_kib"], row["fpm_rss_kib"])
    table.append(row)

with open(prefix + ".csv", "w", newline="") as out:
    if table:
        writer = csv.DictWriter(out, fieldnames=list(table[0].keys()))
        writer.writeheader()
        writer.writerows(table)

lines = [f"Command: `{command}`", "",
         "| front | workload | zfpm req/s | php-fpm req/s | ratio | zfpm p50/p99/max ms "
         "| php-fpm p50/p99/max ms | errors z/f | unanswered z/f | RSS MiB z/f |",
         "|---|---|---|---|---|---|---|---|---|---|"]
for r in table:
    lines.append(
        f"| {r['front']} | {r['workload']} | {r['zfpm_rps']:.0f} | {r['fpm_rps']:.0f} "
        f"| **{r['rps_ratio']:.2f}x** "
        f"| {r['zfpm_p50_ms']:.2f} / {r['zfpm_p99_ms']:.2f} / {r['zfpm_max_ms']:.1f} "
        f"| {r['fpm_p50_ms']:.2f} / {r['fpm_p99_ms']:.2f} / {r['fpm_max_ms']:.1f} "
        f"| {r['zfpm_errors']:.0f} / {r['fpm_errors']:.0f} "
        f"| {count(r['zfpm_unanswered'])} / {count(r['fpm_unanswered'])} "
        f"| {r['zfpm_rss_kib'] / 1024:.0f} / {r['fpm_rss_kib'] / 1024:.0f} |")

memory = defaultdict(dict)
for row in csv.DictReader(open(memory_csv)):
    memory[int(row["workers"])][row["server"]] = float(row["rss_kib"])
if memory:
    lines += ["", "| workers | zfpm RSS MiB | php-fpm RSS MiB | ratio |", "|---|---|---|---|"]
    for workers in sorted(memory):
        z, f = memory[workers].get("zfpm", 0), memory[workers].get("fpm", 0)
        lines.append(f"| {workers} | {z / 1024:.0f} | {f / 1024:.0f} | {ratio(z, f):.2f}x |")

text = "\n".join(lines) + "\n"
open(prefix + ".md", "w").write(text)
print(text)
