#!/usr/bin/env python3
"""Where a hotline's instructions went, per completed call, by part.

Usage: bench/flow/callgrind_parts.py CALLS DUMP [DUMP ...]

Each DUMP is the callgrind.out that `bench/flow/run.sh --callgrind` leaves
in a step's folder; CALLS the calls completed in each step (the same for
all). Reads each function's own cost (not what it calls), groups the
functions by the crate or library they belong to, and prints one
Markdown row per part with millions of instructions per call, one column
per dump, then the functions of the call core and its drivers.
"""
import collections
import re
import sys

PARTS = [
    ("call core, its drivers, ACD, IVR", ["hotline_call::", "hotline::call", "hotline::acd_task",
                                          "hotline::callback", "hotline_acd::", "hotline_ivr::",
                                          "hotline::controller"]),
    ("recorder + WAV writer", ["hotline_media::recorder", "hound::"]),
    ("media engine", ["hotline_media::"]),
    ("SIP", ["hotline_sip::", "rsip::"]),
    ("store + SQLite", ["hotline_store::", "sqlx", "sqlite3", "walChecksum", "pcache", "btree",
                        "Vdbe", "vdbe"]),
    ("console / HTTP", ["hotline_screenpop::", "axum::", "hyper::", "tungstenite"]),
    ("tokio", ["tokio::", "mio::"]),
    ("allocation", ["malloc", "free", "mi_", "realloc"]),
    ("memcpy / memset", ["memcpy", "memmove", "memset"]),
    ("locks, syscalls, libc", ["pthread", "syscall", "epoll", "send", "recv", "clock_gettime",
                               "__libc", "futex"]),
    ("serde / JSON", ["serde"]),
    ("tracing / metrics", ["tracing", "metrics"]),
]


def own_costs(path):
    """Instructions each function executed itself (callgrind's self cost)."""
    names, cost = {}, collections.Counter()
    function, after_call = None, False

    def name(token):
        m = re.match(r"\((\d+)\)(?:\s+(.*))?", token)
        if not m:
            return token
        if m.group(2):
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), token)

    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("fn="):
            function = name(line[3:])
        elif line.startswith("cfn="):
            name(line[4:])
        elif line.startswith("calls="):
            after_call = True  # the next cost line is the call's inclusive cost
        elif line[:1].isdigit() or line[:1] in "+-*":
            fields = line.split()
            if len(fields) >= 2 and not after_call:
                cost[function] += int(fields[1])
            after_call = False
    return cost


def part(function):
    for label, patterns in PARTS:
        if any(p in function for p in patterns):
            return label
    return "other"


def main():
    calls, dumps = int(sys.argv[1]), sys.argv[2:]
    costs = [own_costs(d) for d in dumps]
    by_part = []
    for c in costs:
        g = collections.Counter()
        for function, ir in c.items():
            g[part(function or "")] += ir
        by_part.append(g)
    print("| part | " + " | ".join(f"dump {i + 1}" for i in range(len(dumps))) + " |")
    print("|---|" + "---|" * len(dumps))
    for label in [p for p, _ in PARTS] + ["other"]:
        print(f"| {label} | " + " | ".join(f"{g[label] / calls / 1e6:.3f}" for g in by_part) + " |")
    print("| **total** | " + " | ".join(f"{sum(g.values()) / calls / 1e6:.3f}" for g in by_part) + " |")
    for path, c in zip(dumps, costs):
        print(f"\n{path}: the call core and its drivers, thousands of instructions per call")
        core = sorted(((ir, f) for f, ir in c.items() if part(f or "") == PARTS[0][0]), reverse=True)
        for ir, function in core[:12]:
            print(f"{ir / calls / 1e3:8.2f}  {function[:120]}")


if __name__ == "__main__":
    main()
