"""Per-module mutant counts from `mutmut results --all true` (read on stdin)."""

from __future__ import annotations

import collections
import sys

counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
for line in sys.stdin:
    name, sep, status = line.strip().rpartition(": ")
    if not sep or "__mutmut_" not in name:
        continue
    module = name.split(".x")[0]
    counts[module][status] += 1

columns = ["killed", "survived", "timeout", "no tests", "suspicious", "not checked"]
print("| module | mutants | " + " | ".join(columns) + " | score |")
print("|---|---:|" + "---:|" * len(columns) + "---:|")
total: collections.Counter[str] = collections.Counter()
for module in sorted(counts):
    c = counts[module]
    total.update(c)
    n = sum(c.values())
    tested = c["killed"] + c["survived"] + c["timeout"] + c["no tests"] + c["suspicious"]
    score = f"{100 * (c['killed'] + c['timeout']) / tested:.1f} %" if tested else "-"
    print(f"| {module} | {n} | " + " | ".join(str(c[k]) for k in columns) + f" | {score} |")
n = sum(total.values())
tested = n - total["not checked"]
score = f"{100 * (total['killed'] + total['timeout']) / tested:.1f} %" if tested else "-"
print("| **all** | " + f"{n} | " + " | ".join(str(total[k]) for k in columns) + f" | {score} |")
others = set().union(*counts.values()) - set(columns) if counts else set()
if others:
    print("other statuses:", sorted(others), file=sys.stderr)
