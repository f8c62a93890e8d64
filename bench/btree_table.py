#!/usr/bin/env python3
"""Turns btree_bench JSON output (--benchmark_out_format=json, with
--benchmark_repetitions) into the Markdown table of bench/README.md: the
median of each case per manager, as operations (or entries) per second,
with the space ratio for the fills."""
import json
import sys

CASES = [
    ("BM_RandomGet", "Random get", 0.6e6),
    ("BM_SequentialScan", "Full scan (entries)", 15e6),
    ("BM_SeekNext100", "Seek + 100 next (seeks)", None),
    ("BM_RandomPut", "Random put, txns of 1000", None),
    ("BM_SequentialPut", "Sequential put, txns of 1000", 2e6),
    ("BM_BulkLoad", "Bulk load, sorted input", 4e6),
]


def main(path):
    with open(path) as f:
        runs = json.load(f)["benchmarks"]
    medians = {}
    for run in runs:
        if run.get("aggregate_name", "median") != "median":
            continue
        name = run["run_name"] if "run_name" in run else run["name"]
        case, arg = name.split("/")[0], name.split("mmap:")[1][0]
        medians[(case, arg)] = run
    print("| Case | pread | mmap | target | space (pread, mmap) |")
    print("|---|---|---|---|---|")
    for case, label, target in CASES:
        cells, spaces = [], []
        for arg in ("0", "1"):
            run = medians.get((case, arg))
            if run is None:
                cells.append("-")
                continue
            cells.append(f"{run['items_per_second'] / 1e6:.2f} M/s")
            if "space_x" in run:
                spaces.append(f"{run['space_x']:.2f}x")
        goal = f">= {target / 1e6:g} M/s" if target else "-"
        print(f"| {label} | {cells[0]} | {cells[1]} | {goal} | {', '.join(spaces) or '-'} |")


if __name__ == "__main__":
    main(sys.argv[1])
