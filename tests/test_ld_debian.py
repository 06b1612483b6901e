"""Other glibc versions: Debian's libc6 (with libc6-dbg) and coreutils of another suite,
unpacked into a folder and run with --rootfs in both ld modes.

The packages come from deb.debian.org through apt-get with a private configuration (its
own sources list, state and cache under tests/_build/debian/SUITE; the system's apt setup
is not touched), then `dpkg -x`. Where they cannot be fetched the tests skip, saying why.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest
from conftest import BUILD, ld_traces, pyloader

# suite -> (glibc version, the libraries coreutils needs there)
SUITES = {
    "bullseye": ("2.31", ["libselinux1", "libpcre2-8-0", "libacl1", "libattr1", "libgmp10"]),
    "trixie": ("2.41", ["libselinux1", "libpcre2-8-0", "libacl1", "libattr1", "libgmp10",
                        "libcap2", "libssl3t64", "libcrypt1", "zlib1g", "libzstd1"]),
    # unstable: the newest glibc Debian has (2.43 when this was written; it moves on)
    "sid": ("2.43+", ["libselinux1", "libpcre2-8-0", "libacl1", "libattr1", "libgmp10",
                      "libcap2", "libssl3t64", "libcrypt1", "zlib1g", "libzstd1"]),
}


def _apt(base, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    opts = [f"-oDir::Etc::sourcelist={base}/sources.list", f"-oDir::Etc::sourceparts={base}/parts",
            f"-oDir::State={base}/state", f"-oDir::State::status={base}/status",
            f"-oDir::Cache={base}/cache", "-oDebug::NoLocking=1", "-oAPT::Sandbox::User=root",
            "-qq"]
    return subprocess.run(["apt-get", *opts, *args], capture_output=True, text=True,
                          timeout=timeout, check=False, cwd=f"{base}/debs")


def debian_root(suite: str):
    """The unpacked root of SUITE (cached), or a skip with the reason."""
    base = BUILD / "debian" / suite
    root = base / "root"
    if (base / "complete").exists():
        return root
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        pytest.skip("apt-get and dpkg are needed to fetch Debian's packages")
    shutil.rmtree(base, ignore_errors=True)
    for d in ("parts", "state/lists/partial", "cache/archives/partial", "debs", "root"):
        (base / d).mkdir(parents=True, exist_ok=True)
    (base / "status").write_text("")
    (base / "sources.list").write_text(
        f"deb [trusted=yes] http://deb.debian.org/debian {suite} main\n")
    try:
        got = _apt(base, "update")
        if got.returncode == 0:
            got = _apt(base, "download", "libc6", "libc6-dbg", "coreutils", *SUITES[suite][1])
    except subprocess.TimeoutExpired:
        pytest.skip(f"Debian {suite}: apt-get timed out")
    if got.returncode != 0:
        lines = got.stderr.strip().splitlines() or ["apt-get failed"]
        reason = next((x for x in lines if "Failed to fetch" in x or "Unable" in x), lines[-1])
        pytest.skip(f"cannot fetch Debian {suite} packages: {reason}")
    for deb in sorted((base / "debs").glob("*.deb")):
        subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    for d in ("bin", "lib", "lib64", "sbin"):        # merged /usr, as base-files makes it
        if not (root / d).exists() and (root / "usr" / d).exists():
            (root / d).symlink_to(f"usr/{d}")
    (root / "data.txt").write_text("pear\napple\nfig\n")
    (base / "complete").write_text("")
    return root


@pytest.fixture(scope="module", params=sorted(SUITES))
def suite(request):
    return request.param, debian_root(request.param)


def test_coreutils_of_another_glibc_in_both_ld_modes(suite):
    _, root = suite
    data = b"pear\napple\nfig\n"
    cases = [(["/usr/bin/sort", "/data.txt"], b"apple\nfig\npear\n"),
             (["/usr/bin/sha256sum", "/data.txt"],
              f"{hashlib.sha256(data).hexdigest()}  /data.txt\n".encode()),
             (["/bin/ls", "-l", "/data.txt"], None)]
    for argv, want in cases:
        outs = {}
        for ld in ("system", "python"):
            got = pyloader("run", "--rootfs", str(root), f"--ld={ld}", "-e", "trace=none", *argv)
            assert got.returncode == 0, (ld, got.stderr)
            outs[ld] = got.stdout
            fell_back = b"running the real ld.so instead" in got.stderr
            if ld == "python":      # every glibc from 2.31 on is linked by ours
                assert not fell_back, got.stderr
        assert outs["python"] == outs["system"]
        if want is not None:
            assert outs["python"] == want
        else:
            assert b" /data.txt\n" in outs["python"] and outs["python"].startswith(b"-rw")


def test_oracle_on_another_glibc(suite):
    from pyloader.ld.oracle import compare
    _, root = suite
    for env in ({}, {"LD_BIND_NOW": "1"}):
        diffs = compare(["/bin/ls"], {"PATH": "/usr/bin:/bin", **env}, str(root))
        assert [line for line, why in diffs if why is None] == []


def test_whole_trace_of_another_glibc_equals_its_real_ld_sos(suite):
    """Each glibc's ld.so makes its own calls (2.31: legacy hwcaps subdirectories, stat and
    fstat, the thread set up by libpthread; 2.36: newfstatat; 2.41 stats a missing
    directory with its trailing "/" and fstat's with fstat): ours must make the same ones."""
    _, root = suite
    traces = ld_traces("--rootfs", str(root), "/usr/bin/sort", "/data.txt")
    assert traces["python"] == traces["system"]
    assert any("glibc-hwcaps/x86-64-v2" in ln or "tls/x86_64" in ln
               for ln in traces["python"][1:])


def test_fortified_percent_n_asks_the_linker_where_the_format_is(suite, tmp_path):
    """glibc 2.43's printf_chk calls GLRO(dl_readonly_area), which the Python linker serves:
    a read-only format may use %n, a writable one aborts, as with the real ld.so."""
    import subprocess
    name, root = suite
    if SUITES[name][0] < "2.34":        # this machine's gcc links __libc_start_main@2.34
        pytest.skip(f"glibc {SUITES[name][0]} cannot run a program built against this one")
    from conftest import EXAMPLES
    subprocess.run(["gcc", "-O2", "-D_FORTIFY_SOURCE=2", "-o", str(root / "fortify_n"),
                    str(EXAMPLES / "fortify_n.c")], check=True)
    for args, status, out in (([], 3, b"abc|\nn=3\n"), (["x"], 134, b"abc|\nn=3\n")):
        for ld in ("system", "python"):
            got = pyloader("run", "-e", "trace=none", "--rootfs", str(root), f"--ld={ld}",
                           "/fortify_n", *args)
            assert (got.returncode, got.stdout) == (status, out), (ld, got.stderr)
            if args:
                assert b"%n in writable segment" in got.stderr
