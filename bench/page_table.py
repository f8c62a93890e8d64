#!/usr/bin/env python3
"""Turns page_bench JSON output into the README's page table.

Usage: build/bench/page_bench --benchmark_repetitions=3 \
           --benchmark_out=page.json --benchmark_out_format=json
       python3 bench/page_table.py page.json
Each manager operation is shown with its bare baseline from the same run
and the ratio manager/baseline; the last column is pread/mmap.
"""
import json
import sys

ROWS = [
    # (label, pread name, pread baseline, mmap name, mmap baseline)
    ("Read page (random, 4 KiB, verified)", "BM_ReadPage/pread",
     "BM_ReadPage_BarePread", "BM_ReadPage/mmap", "BM_ReadPage_BareMemcpy"),
    ("Write page (random, 4 KiB, checksum computed)", "BM_WritePage/pread",
     "BM_WritePage_BarePwrite", "BM_WritePage/mmap", "BM_WritePage_BareMemcpy"),
    ("Mixed 70% read / 30% write", "BM_Mixed/pread", "BM_Mixed_BarePread",
     "BM_Mixed/mmap", "BM_Mixed_BareMemcpy"),
    ("Sync after a write (vs 1 sync)", "BM_Sync/pread", "BM_Sync_BarePwrite",
     "BM_Sync/mmap", "BM_Sync_BareMsync"),
    ("Sync after a write (vs data+header syncs)", "BM_Sync/pread",
     "BM_Sync_BarePwrite2x", "BM_Sync/mmap", "BM_Sync_BareMsync2x"),
    ("Zero-copy read (pointer, no copy)", None, None, "BM_ReadPageZeroCopy",
     "BM_ReadPage_BareMemcpy"),
]


def fmt(ns):
    return "%.0f ns" % ns if ns >= 100 else "%.1f ns" % ns


def main():
    with open(sys.argv[1]) as f:
        data = json.load(f)
    # With --benchmark_repetitions, use each benchmark's median.
    runs = data["benchmarks"]
    medians = {b["run_name"]: b["real_time"] for b in runs
               if b.get("aggregate_name") == "median"}
    t = medians or {b["name"]: b["real_time"] for b in runs}
    print("| Operation | pread/pwrite (bare) | x bare | mmap (bare) | x bare | pread / mmap |")
    print("|---|---|---|---|---|---|")
    for label, p, pb, m, mb in ROWS:
        cells = []
        for name, base in ((p, pb), (m, mb)):
            if name is None:
                cells += ["-", "-"]
                continue
            val = t[name]
            if base:
                cells += ["%s (%s)" % (fmt(val), fmt(t[base])), "%.2f" % (val / t[base])]
            else:
                cells += [fmt(val), "-"]
        ratio = "%.2f" % (t[p] / t[m]) if p and m else "-"
        print("| %s | %s | %s |" % (label, " | ".join(cells), ratio))


if __name__ == "__main__":
    main()
