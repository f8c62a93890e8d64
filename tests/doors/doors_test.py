#!/usr/bin/env python3
"""LayerDoorsTest: a layer can include only the doors of the layers below it.

For each layer, takes the compile command of one of its sources from the
build's compile_commands.json and runs a one-line probe in its place
through the preprocessor: including a header the layer may see must work,
and including one it may not (another layer's internals, a layer above) must
fail with "No such file". This proves the rule of cmake/doors.cmake and
../DESIGN.md ("other folders include only doors") on the real flags.

Usage: doors_test.py BUILD_DIR SOURCE_DIR
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

# source compiled as the layer -> (headers it may include, headers it may not)
CASES = {
    "storage/pager.cc": (
        ["storage/pager.h", "storage/page_bitmap.h", "laura/stats.h"],
        ["btree/btree.h", "wal/log.h", "engine/db_impl.h", "tools/shell.h"],
    ),
    "wal/log_writer.cc": (
        ["wal/log.h", "storage/pager.h", "storage/checksum.h"],
        ["storage/pager_impl.h", "storage/page_bitmap.h", "btree/btree.h", "engine/db_impl.h"],
    ),
    "btree/btree.cc": (
        ["btree/overflow.h", "storage/pager.h", "storage/status_macros.h"],
        ["storage/pager_impl.h", "storage/frame_table.h", "wal/log.h", "engine/db_impl.h"],
    ),
    "engine/db_impl.cc": (
        ["btree/btree.h", "wal/log.h", "storage/pager.h", "laura/db.h"],
        ["btree/overflow.h", "storage/frame_table.h", "storage/pager_impl.h",
         "tools/record_format.h", "tools/shell.h"],
    ),
    "tools/shell.cc": (
        ["laura/db.h", "laura/version.h", "storage/status_macros.h", "tools/shell.h"],
        ["storage/pager.h", "storage/page.h", "btree/btree.h", "btree/cursor.h", "wal/log.h",
         "engine/db_impl.h", "engine/key_space.h"],
    ),
    "examples/example.cc": (
        ["laura/db.h"],
        ["storage/pager.h", "btree/btree.h", "wal/log.h", "engine/db_impl.h"],
    ),
}


def main():
    build, source = sys.argv[1], os.path.realpath(sys.argv[2])
    with open(os.path.join(build, "compile_commands.json")) as f:
        commands = {os.path.realpath(c["file"]): c for c in json.load(f)}
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, "probe.cc")
        for layer_source, (allowed, forbidden) in CASES.items():
            entry = commands.get(os.path.join(source, layer_source))
            if entry is None:
                print(f"FAIL: no compile command for {layer_source}")
                failures += 1
                continue
            args = shlex.split(entry["command"]) if "command" in entry else entry["arguments"]
            # The compiler and its flags, without the output and the source.
            flags, skip = [], False
            for a in args[1:]:
                if skip:
                    skip = False
                elif a in ("-o", "-c", "-MF", "-MT", "-MQ"):
                    skip = True
                elif a in ("-MD", "-MMD"):  # (Ninja's dependency files)
                    continue
                elif a != entry["file"] and os.path.realpath(a) != os.path.realpath(
                        os.path.join(entry["directory"], entry["file"])):
                    flags.append(a)
            for header in forbidden:  # a header that is not there proves nothing
                if not os.path.exists(os.path.join(source, header)):
                    print(f"FAIL: {header} does not exist in the source tree")
                    failures += 1
            for header, expect_ok in [(h, True) for h in allowed] + [(h, False) for h in forbidden]:
                with open(probe, "w") as f:
                    f.write(f'#include "{header}"\n')
                run = subprocess.run([args[0], *flags, "-E", "-o", os.devnull, probe],
                                     cwd=entry["directory"], capture_output=True, text=True)
                ok = run.returncode == 0
                missing = "No such file" in run.stderr or "file not found" in run.stderr
                verdict = "included" if ok else ("not found" if missing else "error")
                good = ok if expect_ok else (not ok and missing)
                print(f"{'ok  ' if good else 'FAIL'} {layer_source}: {header} {verdict}"
                      f" (expected {'included' if expect_ok else 'not found'})")
                if not good:
                    failures += 1
                    if expect_ok:
                        print(run.stderr[:2000])
    print("PASS" if failures == 0 else f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
