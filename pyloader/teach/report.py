"""`pyloader report PROGRAM -o report.html`: one self-contained page (inline CSS, SVG, JS).

The address-space picture is to scale inside each cluster of adjacent mappings (its scale is
printed beside it); the huge empty stretches between clusters are drawn as a broken axis
labelled with their real size, since at one scale for all the 4 KiB pages would vanish.
"""
from __future__ import annotations

import html

from .observe import Facts

WIDTH = 900          # px of the widest cluster bar
ROW = 46             # px per cluster row
GAP_ROW = 26         # px for a broken-axis gap between clusters
LABEL_MIN = 46       # px a mapping needs for its name inside the bar
MAX_ENV_ROWS = 6

# permissions by colour (the legend is generated from this table)
PERM_COLOURS = {"r-x": "#e4572e", "rwx": "#b31b1b", "r--": "#4f86c6", "rw-": "#59a14f",
                "---": "#bbbbbb", "-w-": "#9c755f", "--x": "#f28e2b", "-wx": "#ff9da7"}

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:2px 6px;
text-align:left;vertical-align:top}th{background:#f3f3f3}
code,pre,td.mono{font-family:ui-monospace,monospace;font-size:12px}
pre{background:#f7f7f7;padding:8px;overflow-x:auto}
.legend span{display:inline-block;padding:0 8px;margin-right:6px;color:#fff;border-radius:3px}
.phase-exec{background:#eef}.phase-start{background:#efe}.phase-main{background:#ffe}
.phase-exit{background:#fee}tr.hl td{outline:2px solid #000}
.muted{color:#777}
"""

JS = """
// Click a mapping in the picture: its row in the mappings table is highlighted.
document.querySelectorAll('#address-space rect.vma').forEach(function (r) {
  r.addEventListener('click', function () {
    document.querySelectorAll('#vmas tr.hl').forEach(function (t) { t.classList.remove('hl'); });
    var row = document.getElementById('vma-' + r.dataset.index);
    if (row) { row.classList.add('hl'); row.scrollIntoView({block: 'center'}); }
  });
});
// Syscall filter by phase, built here so that the page shows it only with JS working.
(function () {
  var box = document.getElementById('phase-filter');
  ['all', 'exec', 'start', 'main', 'exit'].forEach(function (p) {
    var b = document.createElement('button');
    b.textContent = p; b.className = 'phase-button';
    b.addEventListener('click', function () {
      document.querySelectorAll('#syscalls tbody tr').forEach(function (tr) {
        tr.style.display = (p === 'all' || tr.dataset.phase === p) ? '' : 'none';
      });
    });
    box.appendChild(b);
  });
  document.body.dataset.ready = 'yes';
})();
"""


def _e(s) -> str:
    return html.escape(str(s), quote=True)


def _size(n: int) -> str:
    for unit, k in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= k:
            v = n / k
            return f"{v:.1f} {unit}" if v < 100 and v != int(v) else f"{int(v)} {unit}"
    return f"{n} B"


def _huge(n: int) -> str:
    for unit, k in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= k:
            return f"{n / k:.1f} {unit}"
    return f"{n} B"


def clusters(vmas: list[dict]) -> list[list[tuple[int, dict]]]:
    """Runs of mappings with no gap between them (index kept for the table links)."""
    out: list[list[tuple[int, dict]]] = []
    for i, v in enumerate(vmas):
        if out and out[-1][-1][1]["end"] == v["start"]:
            out[-1].append((i, v))
        else:
            out.append([(i, v)])
    return out


def _label(v: dict) -> str:
    name = v["name"].rsplit("/", 1)[-1] if v["name"] else "anon"
    return name


def address_space_svg(vmas: list[dict]) -> str:
    groups = clusters(vmas)
    height = len(groups) * ROW + (len(groups) - 1) * GAP_ROW + 20
    parts = [(f'<svg id="address-space" xmlns="http://www.w3.org/2000/svg" width="{WIDTH + 260}"'
             f' height="{height}" font-size="11" font-family="monospace">')]
    y = 10
    for gi, group in enumerate(groups):
        lo, hi = group[0][1]["start"], group[-1][1]["end"]
        scale = WIDTH / (hi - lo)          # px per byte, for this cluster only
        parts.append(f'<g class="cluster" data-start="{lo:#x}" data-end="{hi:#x}">')
        for i, v in group:
            x = 10 + (v["start"] - lo) * scale
            w = max((v["end"] - v["start"]) * scale, 0.5)
            colour = PERM_COLOURS.get(v["perms"][:3], "#999")
            title = (f'{v["start"]:#x}-{v["end"]:#x} {v["perms"]} {v["name"] or "anonymous"} '
                     f'({_size(v["end"] - v["start"])})')
            parts.append(f'<rect class="vma" data-index="{i}" x="{x:.2f}" y="{y}" '
                         f'width="{w:.2f}" height="{ROW - 18}" fill="{colour}" stroke="#fff" '
                         f'stroke-width="0.5"><title>{_e(title)}</title></rect>')
            if w >= LABEL_MIN:
                text = _label(v)[: int(w // 7)]
                parts.append(f'<text x="{x + 3:.2f}" y="{y + 17}" fill="#fff">{_e(text)}</text>')
        parts.append(f'<text x="10" y="{y + ROW - 5}" fill="#444">{lo:#x}</text>')
        parts.append(f'<text x="{WIDTH + 10}" y="{y + ROW - 5}" text-anchor="end" fill="#444">'
                     f'{hi:#x}</text>')
        parts.append(f'<text class="scale" x="{WIDTH + 20}" y="{y + 17}" fill="#444">'
                     f'{_size(hi - lo)} to scale</text>')
        parts.append("</g>")
        y += ROW
        if gi < len(groups) - 1:
            nxt = groups[gi + 1][0][1]["start"]
            mid = y + GAP_ROW / 2 - 4
            zig = " ".join(f"{10 + k * 12},{mid + (4 if k % 2 else -4)}" for k in range(76))
            parts.append(f'<g class="gap"><polyline points="{zig}" fill="none" stroke="#999"/>'
                         f'<text x="{WIDTH + 20}" y="{mid + 4}" fill="#999">gap of '
                         f'{_huge(nxt - hi)} (not to scale)</text></g>')
            y += GAP_ROW
    parts.append("</svg>")
    return "".join(parts)


def _table(tid: str, head: list[str], rows: list[list], row_attrs: list[str] | None = None,
           mono: set[int] = frozenset()) -> str:
    out = [f'<table id="{tid}"><thead><tr>' + "".join(f"<th>{_e(h)}</th>" for h in head)
           + "</tr></thead><tbody>"]
    for n, r in enumerate(rows):
        attrs = row_attrs[n] if row_attrs else ""
        out.append(f"<tr {attrs}>" + "".join(
            f'<td class="mono">{_e(c)}</td>' if i in mono else f"<td>{_e(c)}</td>"
            for i, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def stack_rows(f: Facts) -> list[list]:
    s = f.stack
    rows = [[s["sp"], "argc", s["argc"]]]
    rows += [[a["at"], f"argv[{i}]", f'{a["ptr"]} -> "{a["value"]}"'] for i, a in
             enumerate(s["argv"])]
    rows.append([s["argv_null"], "NULL", "end of argv"])
    shown = s["envp"][:MAX_ENV_ROWS]        # the environment may hold secrets: a few only
    rows += [[e["at"], f"envp[{i}]", f'{e["ptr"]} -> "{e["value"][:60]}"'] for i, e in
             enumerate(shown)]
    if len(s["envp"]) > len(shown):
        rows.append(["...", "envp", f'{len(s["envp"]) - len(shown)} more pointers'])
    rows.append([s["envp_null"], "NULL", "end of envp"])
    for a in s["auxv"]:
        extra = f' -> {a["bytes"]}' if "bytes" in a else (f' -> "{a["string"]}"'
                                                          if "string" in a else "")
        rows.append([a["at"], a["name"], a["value"] + extra])
    if s["padding"] is not None:
        rows.append([s["auxv_end"], "padding", f'{int(s["padding"], 16)} bytes (alignment)'])
    rows.append([s["random_at"], "AT_RANDOM bytes", "16 bytes, then the platform string"])
    rows.append([s["strings_start"], "strings", "argv and envp strings, then AT_EXECFN"])
    rows.append([s["top"], "top", "end of the stack"])
    return rows


def render_html(f: Facts) -> str:
    vmas = f.layout.get("vmas", [])
    ex = f.exit
    status = (f"killed by signal {ex['signal']}" if ex.get("signal")
              else f"exited with {ex.get('status')}")
    body = [f"<h1>pyloader report: {_e(' '.join(f.argv))}</h1>",
            (f'<p>{_e(status)}. Everything below was observed while pyloader loaded and ran '
            "the program (ASLR off, Python ld.so).</p>")]

    body.append("<h2>Address space at exit</h2>")
    body.append('<p class="legend">' + "".join(
        f'<span style="background:{c}">{p}</span>' for p, c in PERM_COLOURS.items()
        if any(v["perms"][:3] == p for v in vmas)) + "</p>")
    body.append(address_space_svg(vmas))
    body.append(_table("vmas", ["start", "end", "size", "perms", "offset", "mapping"],
                       [[f'{v["start"]:#x}', f'{v["end"]:#x}', _size(v["end"] - v["start"]),
                         v["perms"], f'{v["offset"]:#x}', v["name"] or "(anonymous)"]
                        for v in vmas],
                       [f'id="vma-{i}"' for i in range(len(vmas))], mono={0, 1, 4}))

    if f.elf:
        body.append("<h2>Program headers -> mappings</h2>")
        body.append(_table("loads", ["file offset", "filesz", "start", "end", "flags", "bss"],
                           [[x["file_offset"], x["filesz"], x["start"], x["end"], x["flags"],
                             x["bss"]] for x in f.elf["loads"]], mono={0, 1, 2, 3, 5}))
    if f.stack:
        body.append("<h2>The initial stack (lowest address first)</h2>")
        body.append(_table("stack", ["address", "what", "value"], stack_rows(f), mono={0, 2}))

    if f.ld:
        body.append("<h2>Link map</h2>")
        body.append(_table("linkmap", ["object", "l_addr", "mapped", "needs", "versions needed"],
                           [[o["path"], o["l_addr"], f'{o["map_start"]}-{o["map_end"]}',
                             ", ".join(o["needed"]),
                             "; ".join(f'{k}: {", ".join(v)}'
                                       for k, v in o["versions_needed"].items())]
                            for o in f.ld["objects"]], mono={1, 2}))
        types = sorted({t for o in f.ld["objects"] for t in o["relocations"]})
        body.append("<h2>Relocations per object and type (R_X86_64_...)</h2>")
        body.append(_table("relocs", ["object"] + [t.removeprefix("R_X86_64_") for t in types]
                           + ["total"],
                           [[o["name"]] + [o["relocations"].get(t, "") for t in types]
                            + [o["relocation_total"]] for o in f.ld["objects"]]))
    elif f.elf.get("interp"):
        said = [ln for ln in f.output.get("pyloader", "").splitlines() if ln.strip()]
        body.append('<h2>Link map</h2><p id="linkmap">The dynamic linker did not finish:</p>'
                    f"<pre>{_e(chr(10).join(said))}</pre>")
    else:
        body.append("<h2>Link map</h2><p id=\"linkmap\">No dynamic linker ran: the program "
                    "is static.</p>")

    body.append("<h2>PLT / GOT</h2>")
    if f.plt:
        body.append(_table("plt", ["symbol", "stub", "GOT slot", "GOT at entry", "GOT at exit",
                                   "defined in", "bound"],
                           [[p["symbol"] + (f'@{p["version"]}' if p["version"] else ""),
                             p["stub"] or "", p["got"], p["got_at_entry"],
                             p.get("got_after") or "", p["defined_in"] or "",
                             ("before entry (eager)" if p["got_at_entry"] == p["target"] else
                              f'at {p["bound_at"]:.6f} s, after syscall #'
                              f'{p["bound_after_syscalls"]}' if p.get("bound_at") is not None
                              else "never called")]
                            for p in f.plt], mono={1, 2, 3, 4}))
        for p in f.plt:
            if p["stub_code"]:
                body.append(f'<p>{_e(p["symbol"])}@plt:</p><pre>'
                            + _e("\n".join(p["stub_code"])) + "</pre>")
    else:
        body.append('<p id="plt">No PLT entries for imported functions.</p>')
    if f.bindings:
        body.append("<h2>Lazy bindings, as they happened</h2>")
        body.append(_table("bindings", ["time (s)", "symbol", "caller", "address", "library"],
                           [[b["t"], b["symbol"] + (f'@{b["version"]}' if b["version"] else ""),
                             b["caller_where"], b["address"], b["defined_in"]]
                            for b in f.bindings], mono={3}))

    body.append("<h2>From _start to exit</h2>")
    body.append(start_section(f))

    calls = [ln for ln in f.syscalls if ln["kind"] == "syscall"]
    body.append("<h2>System call timeline</h2>")
    body.append(timeline_svg(calls))
    body.append('<div id="phase-filter"></div>')
    body.append(_table("syscalls", ["#", "time (s)", "phase", "call"],
                       [[n + 1, f'{ln["t"]:.6f}', ln["phase"], ln["text"]]
                        for n, ln in enumerate(calls)],
                       [f'data-phase="{ln["phase"]}" class="phase-{ln["phase"]}"'
                        for ln in calls], mono={3}))

    if f.faults:
        body.append("<h2>Demand paging: pages touched</h2><ul>" + "".join(
            f"<li>{_e(s)}</li>" for s in f.faults["summary"]) + "</ul>")
        body.append('<p class="legend"><span style="background:#f28e2b">faulted in by the '
                    'program</span><span style="background:#4f86c6">written while loading</span>'
                    '<span style="background:#bbb">never touched</span> (one square per page, '
                    'in file order)</p>')
        body.append(pages_svg(f.faults))

    body.append("<h2>/proc/self/maps at entry, at main, at exit</h2>")
    for moment in ("entry", "main", "exit"):
        if moment in f.maps:
            body.append(f"<h3>{moment}</h3><pre>{_e(f.maps[moment])}</pre>")
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>pyloader report: "
            f"{_e(f.argv[0])}</title><style>{CSS}</style></head><body>" + "".join(body)
            + f"<script>{JS}</script></body></html>")


def start_section(f: Facts) -> str:
    """The moments of the run (code hooks) and where the exit status came from."""
    from .explain import stage_exit
    st = f.start
    rows = []
    if st:
        rows.append(["entry point", st["entry"], st["entry_where"],
                     f'after {st["syscalls_before_entry"]} system calls'])
    if "main" in st:
        rows.append(["__libc_start_main", st["__libc_start_main"],
                     st.get("__libc_start_main_where", ""), "called by _start with main"])
        rows.append(["main", st["main"], st["main_where"],
                     f'reached after {st.get("syscalls_before_main", "?")} system calls'])
    if "main_returned" in st:
        rows.append(["main returns to", st["main_returns_to"], st["main_returns_to_where"],
                     f'eax = {st["main_returned"]}'])
    table = _table("start", ["moment", "address", "where", "note"], rows, mono={1})
    return table + "<p>" + "<br>".join(_e(ln) for ln in stage_exit(f)) + "</p>"


PHASE_COLOURS = {"exec": "#4f86c6", "start": "#59a14f", "main": "#edc948", "exit": "#e4572e"}


def timeline_svg(calls: list[dict]) -> str:
    """Each system call as a tick on a time axis, coloured by phase."""
    if not calls:
        return '<svg id="timeline" width="10" height="10"></svg>'
    t_end = max(c["t"] for c in calls) or 1e-6
    w = WIDTH
    parts = [(f'<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="{w + 120}" '
             f'height="70" font-size="11" font-family="monospace">'),
             f'<line x1="10" y1="40" x2="{w + 10}" y2="40" stroke="#444"/>']
    for n, c in enumerate(calls):
        x = 10 + w * c["t"] / t_end
        name = c["text"].split("(", 1)[0]
        parts.append(f'<line class="tick" x1="{x:.1f}" y1="22" x2="{x:.1f}" y2="40" '
                     f'stroke="{PHASE_COLOURS.get(c["phase"], "#999")}" stroke-width="2">'
                     f'<title>#{n + 1} {_e(name)} at {c["t"]:.6f} s ({c["phase"]})</title></line>')
    x = 10
    for p, col in PHASE_COLOURS.items():
        parts.append(f'<rect x="{x}" y="50" width="10" height="10" fill="{col}"/>'
                     f'<text x="{x + 14}" y="59">{p}</text>')
        x += 80
    parts.append(f'<text x="{w + 14}" y="44">{t_end:.3f} s</text></svg>')
    return "".join(parts)


def pages_svg(faults: dict) -> str:
    """One square per file-backed page of each object: grey untouched, blue written while
    loading, orange faulted in by the program (in order of the first touch)."""
    size, per_row = 8, 100
    faulted: dict[str, set[int]] = {}
    for ev in faults["events"]:
        faulted.setdefault(ev["object"], set()).add(ev["offset"] // 4096)
    rows = sum((o["pages"] + per_row - 1) // per_row + 2 for o in faults["objects"])
    parts = [(f'<svg id="pages" xmlns="http://www.w3.org/2000/svg" width="{per_row * size + 20}"'
             f' height="{rows * size + 20}" font-size="11" font-family="monospace">')]
    y = 12
    for o in faults["objects"]:
        parts.append(f'<text x="0" y="{y}">{_e(o["object"])}: {o["touched"]} of {o["pages"]} '
                     f'pages</text>')
        y += 6
        mine = faulted.get(o["object"], set())
        loaded = set(o["present_pages"])
        for n in range(o["pages"]):
            colour = "#f28e2b" if n in mine else "#4f86c6" if n in loaded else "#ddd"
            parts.append(f'<rect class="page" x="{(n % per_row) * size}" '
                         f'y="{y + (n // per_row) * size}" width="{size - 1}" height="{size - 1}"'
                         f' fill="{colour}"/>')
        y += ((o["pages"] + per_row - 1) // per_row) * size + 14
    parts.append("</svg>")
    return "".join(parts)
