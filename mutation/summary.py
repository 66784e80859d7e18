"""Per-module mutant counts from ``mutmut results --all true`` (read on stdin).

``--sample`` counts only the mutants a sampled run selects (``'*__mutmut_*1' '*__mutmut_*6'``:
numbers ending in 1 or 6, a fifth of each function's mutants).
"""

from __future__ import annotations

import collections
import re
import sys

SAMPLE = re.compile(r"__mutmut_\d*[16]$")
COLUMNS = ["killed", "survived", "timeout", "no tests", "suspicious", "not checked"]


def main(lines: list[str], sample: bool) -> str:
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in lines:
        name, sep, status = line.strip().rpartition(": ")
        if not sep or "__mutmut_" not in name or (sample and not SAMPLE.search(name)):
            continue
        counts[name.split(".x")[0]][status] += 1
    out = [
        "| module | mutants | " + " | ".join(COLUMNS) + " | score |",
        "|---|---:|" + "---:|" * len(COLUMNS) + "---:|",
    ]
    total: collections.Counter[str] = collections.Counter()
    for module in sorted(counts):
        total.update(counts[module])
        out.append(_row(module, counts[module]))
    out.append(_row("**all**", total))
    return "\n".join(out)


def _row(label: str, c: collections.Counter[str]) -> str:
    # Score: killed (timeouts count as killed) over every checked mutant; a mutant no test
    # reaches counts as alive.
    ran = c["killed"] + c["timeout"] + c["survived"] + c["suspicious"] + c["no tests"]
    score = f"{100 * (c['killed'] + c['timeout']) / ran:.1f} %" if ran else "-"
    cells = " | ".join(str(c[k]) for k in COLUMNS)
    return f"| {label} | {sum(c.values())} | {cells} | {score} |"


if __name__ == "__main__":
    print(main(sys.stdin.readlines(), sample="--sample" in sys.argv))
