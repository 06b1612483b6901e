"""`pyloader report`: a self-contained HTML page, checked in a real browser (headless
Chromium): the picture and the tables must be in the rendered DOM, its script must have run,
and a screenshot is kept in tests/_artifacts/."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, pyloader

ARTIFACTS = ROOT / "tests" / "_artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def report(examples, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    out = tmp / "report.html"
    got = pyloader("report", "-o", str(out), str(examples["hello_13"]))
    assert got.returncode == 0, got.stderr
    return tmp, out


def test_page_is_self_contained(report):
    _, out = report
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    # nothing to fetch: no external scripts, styles, images or links
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<link" not in page and "@import" not in page
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page)) - {"http://www.w3.org/2000/svg"}
    assert not urls, urls


def test_rendered_in_chromium(report, tmp_path):
    _, out = report
    dom = chromium(tmp_path, "--dump-dom", out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert 'data-ready="yes"' in html, "the page's script did not run"
    assert html.count('class="phase-button"') == 5
    assert "That value is what printf returned to main" in html
    for table in ("vmas", "loads", "stack", "linkmap", "relocs", "plt", "bindings", "start",
                  "syscalls"):
        assert f'<table id="{table}"' in html, table
    # one rectangle per mapping, one table row per mapping
    rects = re.findall(r'<rect class="vma" data-index="(\d+)" x="([\d.]+)" y="\d+" '
                       r'width="([\d.]+)"', html)
    rows = re.findall(r'<tr id="vma-(\d+)"><td class="mono">(0x[0-9a-f]+)</td>'
                      r'<td class="mono">(0x[0-9a-f]+)</td>', html)
    assert rects and len(rects) == len(rows)
    # to scale inside a cluster: each mapping's width is its size times the cluster's scale
    size = {int(i): int(e, 16) - int(s, 16) for i, s, e in rows}
    groups = re.findall(r'<g class="cluster" data-start="(0x[0-9a-f]+)" '
                        r'data-end="(0x[0-9a-f]+)">(.*?)</g>', html)
    clusters = len(groups)
    assert sum(len(re.findall(r'class="vma"', g)) for *_, g in groups) == len(rects)
    for start, end, body in groups:
        scale = 900 / (int(end, 16) - int(start, 16))
        for i, w in re.findall(r'data-index="(\d+)" x="[\d.]+" y="\d+" width="([\d.]+)"', body):
            assert abs(float(w) - max(size[int(i)] * scale, 0.5)) < 0.01, (i, w)
    assert html.count('<g class="gap">') == clusters - 1
    assert "gap of " in html and "(not to scale)" in html
    # the PLT/GOT row of printf: bound lazily, GOT at exit = libc address
    row = re.search(r"<tr[^>]*><td>printf@GLIBC_2.2.5</td>(.*?)</tr>", html).group(1)
    assert "after syscall #" in row and "libc.so.6" in row
    assert '<svg id="timeline"' in html and '<svg id="pages"' in html
    # a screenshot is kept as a test artefact
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report_hello_13.png"
    shot.unlink(missing_ok=True)
    got = chromium(tmp_path, "--window-size=1280,3000", f"--screenshot={shot}", out.as_uri())
    assert got.returncode == 0 and shot.stat().st_size > 20000, got.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_of_static_program(examples, tmp_path):
    out = tmp_path / "static.html"
    got = pyloader("report", "-o", str(out), str(examples["hello_13_static"]))
    assert got.returncode == 0, got.stderr
    page = out.read_text()
    assert "No dynamic linker ran: the program is static." in page
    assert "No PLT entries for imported functions." in page


def test_report_of_program_whose_library_is_missing(tmp_path):
    (tmp_path / "d.c").write_text("int f(void) { return 1; }\n")
    (tmp_path / "m.c").write_text("int f(void);\nint main(void) { return f(); }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(tmp_path / "libd.so"),
                    str(tmp_path / "d.c")], check=True)
    subprocess.run(["gcc", "-o", str(tmp_path / "m"), str(tmp_path / "m.c"), f"-L{tmp_path}",
                    "-ld"], check=True)
    out = tmp_path / "m.html"
    got = pyloader("report", "-o", str(out), str(tmp_path / "m"))
    assert got.returncode == 0, got.stderr
    page = out.read_text()
    assert "The dynamic linker did not finish:" in page
    assert "libd.so: cannot open shared object file" in page
    assert "exited with 127" in page


def test_report_unwritable_output(examples, tmp_path):
    got = pyloader("report", "-o", str(tmp_path / "no" / "such" / "dir.html"),
                   str(examples["hello_13"]))
    assert got.returncode == 1 and b"No such file or directory" in got.stderr
