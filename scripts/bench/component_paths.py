#!/usr/bin/env python3
"""Print the real paths a deployment backup covered, for peers that back up plain paths.

Usage: component_paths.py BACKUP_JSONL SYSROOT
BACKUP_JSONL is the output of `cnxbackup backup --json` (JSON lines); the `result` event's
manifest lists each component's product paths. Printed: the outermost ones only (overlapping
paths are refused by `backup --path`; the union is the same), each under SYSROOT.
"""
import json
import sys

events = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
result = [e for e in events if e.get("event") == "result"][0]
paths = []
for c in result["manifest"]["components"]:
    if (c["status"] in ("ok", "partial") and not c.get("stored_with")
            and c["component"] not in ("databases", "role_mappings")):
        paths += c["paths"]
paths = sorted(set(paths))
outer = [p for p in paths
         if not any(p != q and (p + "/").startswith(q.rstrip("/") + "/") for q in paths)]
for p in outer:
    print(sys.argv[2] + p)
