"""The teaching subcommands: explain, maps, report (argument handling and exit statuses).

Exit statuses: 0 when the explanation/maps/report was produced (whatever the program did:
its own status is part of what is shown), 127 program not found, 126 cannot execute (not
ELF, malformed ELF, no permission), 1 the report file cannot be written.
"""
from __future__ import annotations

import argparse
import sys

from ..startup import guest_env
from .observe import ObserveError, observe, print_error

MOMENTS = ("entry", "main", "exit")


def _observe(a: argparse.Namespace, cmd: str, **kw):
    try:
        return observe([a.program] + a.args, guest_env(a.env), root=a.rootfs, seed=a.seed,
                       timeout=a.timeout, **kw), 0
    except ObserveError as e:
        return None, print_error(e, cmd)


def cmd_explain(a: argparse.Namespace) -> int:
    from .explain import render, to_json
    facts, status = _observe(a, "explain", trace_faults=a.trace_faults)
    if facts is None:
        return status
    if a.json:
        print(to_json(facts))
        return 0
    # --step reads Enter from stdin: the terminal when run by hand, a pipe in tests (the
    # program has finished before the first stage is printed, so it cannot compete for it)
    render(facts, sys.stdout, sys.stdin if a.step else None)
    return 0


def cmd_maps(a: argparse.Namespace) -> int:
    want = [m.strip() for m in a.at.split(",") if m.strip()]
    bad = [m for m in want if m not in MOMENTS]
    if bad or not want:
        print(f"pyloader maps: --at takes entry, main, exit (not {','.join(bad) or 'nothing'})",
              file=sys.stderr)
        return 2
    facts, status = _observe(a, "maps")
    if facts is None:
        return status
    for moment in want:
        text = facts.maps.get(moment)
        title = {"entry": "at the entry point (first instruction)", "main": "at main",
                 "exit": "at exit"}[moment]
        print(f"== /proc/self/maps {title} ==")
        if text is None:
            print("(the program never got there)")
        else:
            sys.stdout.write(text)
        print()
    return 0


def cmd_report(a: argparse.Namespace) -> int:
    from .report import render_html
    facts, status = _observe(a, "report", trace_faults=True)
    if facts is None:
        return status
    html = render_html(facts)
    try:
        with open(a.output, "w", encoding="utf-8") as f:
            f.write(html)
    except OSError as e:
        print(f"pyloader report: {a.output}: {e.strerror}", file=sys.stderr)
        return 1
    print(f"pyloader report: wrote {a.output} ({len(html)} bytes)", file=sys.stderr)
    return 0
