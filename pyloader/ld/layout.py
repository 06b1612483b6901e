"""Where glibc keeps ld.so's private state: struct layouts for one glibc build.

The structs (`struct link_map`, `struct rtld_global`, `struct rtld_global_ro`,
`struct pthread`) move between glibc versions, so they are read from the DWARF of the
matching debug file (Debian/Ubuntu `libc6-dbg`, found by the GNU build-id of ld.so under
/usr/lib/debug/.build-id/), flattened to "path -> offset". Without a debug file, the members
the linker uses are learnt from the real ld.so's work (learn.py). Either way the result is
cached per build-id and source in ~/.cache/pyloader/. pyelftools is imported only here, and
only on a cache miss.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..engine import cache_dir

STRUCTS = ("link_map", "rtld_global", "rtld_global_ro", "pthread")
CACHE_VERSION = 5
# ld.so's hidden variables the linker must fill (from the debug file's .symtab)
HIDDEN_SYMBOLS = ("__rtld_malloc", "__rtld_calloc", "__rtld_realloc", "__rtld_free",
                  "___rtld_mutex_lock", "___rtld_mutex_unlock")
DEBUG_ROOTS = ("/usr/lib/debug/.build-id",)


class LayoutError(Exception):
    """This glibc build cannot be understood (no debug info, and learning failed)."""


class Member:
    """A struct member's place (a plain class: see elf.Phdr)."""
    __slots__ = ("bit_offset", "bit_size", "count", "offset", "size")

    def __init__(self, offset: int, size: int, bit_offset: int = -1, bit_size: int = 0,
                 count: int = 0):
        self.offset = offset            # bytes from the start of the struct
        self.size = size                # bytes (element size for arrays)
        self.bit_offset = bit_offset    # for bitfields: bit position in the unit at `offset`
        self.bit_size = bit_size
        self.count = count              # for arrays: the number of elements


class Layout:
    def __init__(self, data: dict):
        self.data = data
        self.sizes: dict[str, int] = {k: v["size"] for k, v in data["structs"].items()}

    def member(self, struct: str, path: str) -> Member:
        try:
            return Member(*self.data["structs"][struct]["members"][path])
        except KeyError:
            raise LayoutError(f"struct {struct} has no member {path} in this glibc") from None

    def off(self, struct: str, path: str) -> int:
        return self.member(struct, path).offset

    def has(self, struct: str, path: str) -> bool:
        return path in self.data["structs"].get(struct, {}).get("members", {})

    def size(self, struct: str) -> int:
        return self.sizes[struct]

    def symbol(self, name: str) -> int | None:
        """The address (relative to ld.so's base) of one of ld.so's hidden variables."""
        return self.data.get("symbols", {}).get(name)


def build_id(data: bytes) -> str | None:
    """The GNU build-id note of an ELF image, as hex."""
    from ..elf import PT_NOTE, ElfImage
    img = ElfImage(data)
    for ph in img.segments(PT_NOTE):
        pos, end = ph.p_offset, ph.p_offset + ph.p_filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = (int.from_bytes(data[pos + i:pos + i + 4], "little")
                                     for i in (0, 4, 8))
            name = data[pos + 12:pos + 12 + namesz]
            desc_at = pos + 12 + ((namesz + 3) & ~3)
            if ntype == 3 and name.rstrip(b"\0") == b"GNU":
                return data[desc_at:desc_at + descsz].hex()
            pos = desc_at + ((descsz + 3) & ~3)
    return None


def _cache_dir() -> Path:
    return Path(cache_dir())


SOURCES = ("debuginfo", "learn")


def layout_for(ldso_data: bytes, root, program: str | None = None,
               library_path: str | None = None, minor: int | None = None) -> Layout:
    """The layout of the glibc whose ld.so image is `ldso_data`: from its debug file inside
    `root` when there is one, else learnt by running that ld.so on `program` (learn.py);
    cached per build-id. PYLOADER_LAYOUT=debuginfo or =learn allows only that source.
    `minor`: the glibc version (search.glibc_minor), when the caller knows it."""
    bid = build_id(ldso_data)
    if bid is None:
        raise LayoutError("ld.so has no GNU build-id, so its layout cannot be cached or its "
                          "debug info found")
    choice = os.environ.get("PYLOADER_LAYOUT", "auto")
    if choice not in SOURCES + ("auto",):
        raise LayoutError(f"PYLOADER_LAYOUT={choice}: expected auto, debuginfo or learn")
    sources = SOURCES if choice == "auto" else (choice,)
    data = None
    if "debuginfo" in sources:      # preferred: it has every member, not just the used ones
        data = _cached(bid, "debuginfo")
        if data is not None:
            return Layout(data)
        debug = debug_file(root, bid)
        if debug is not None:
            with debug:
                data = {"structs": _read_dwarf(debug), "symbols": _read_symbols(debug)}
            source = "debuginfo"
    if data is None and "learn" in sources:
        data = _cached(bid, "learn")
        if data is not None:
            return Layout(data)
        if program is not None:
            from .learn import learn_layout
            from .search import glibc_minor
            data = learn_layout(ldso_data, root, program,
                                glibc_minor(ldso_data) if minor is None else minor,
                                library_path)
            source = "learn"
    if data is None:
        raise LayoutError(f"no debug info for this glibc's ld.so (build-id {bid}); install "
                          "the matching libc6-dbg")
    data.update(version=CACHE_VERSION, build_id=bid, source=source)
    write_cache(f"layout-{bid}-{source}.json", data)
    return Layout(data)


def _cached(bid: str, source: str) -> dict | None:
    data = read_cache(f"layout-{bid}-{source}.json")
    return data if data is not None and data.get("version") == CACHE_VERSION else None


def read_cache(name: str) -> dict | None:
    """A JSON file of ~/.cache/pyloader; None if absent or unreadable."""
    try:
        return json.loads((_cache_dir() / name).read_text())
    except (OSError, ValueError):
        return None


def write_cache(name: str, data: dict) -> None:
    """Write a JSON file of ~/.cache/pyloader whole (through a per-process temporary, so a
    concurrent reader never sees half of it); a cache that cannot be written is skipped."""
    path = _cache_dir() / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)
    except OSError:
        pass


def debug_file(root, bid: str):
    """The separate debug file of build-id `bid` in the guest's root, open, or None."""
    for d in DEBUG_ROOTS:
        try:
            return open(root.open(f"{d}/{bid[:2]}/{bid[2:]}.debug"), "rb")
        except OSError:
            pass
    return None


def _read_symbols(f) -> dict[str, int]:
    from elftools.elf.elffile import ELFFile
    symtab = ELFFile(f).get_section_by_name(".symtab")
    if symtab is None:
        return {}
    return {s.name: s["st_value"] for s in symtab.iter_symbols() if s.name in HIDDEN_SYMBOLS}


# --- DWARF ---------------------------------------------------------------------------------------
def _read_dwarf(f) -> dict:
    from elftools.elf.elffile import ELFFile
    dwarf = ELFFile(f).get_dwarf_info()
    found: dict = {}
    # rtld.c's unit has them all up to 2.33; before 2.34 (libpthread apart) struct
    # pthread is only in the TLS code's units, so those are read when it is missing
    for wanted in (b"rtld.c", b"dl-tls.c", b"dl-tls_init_tp.c"):
        if all(s in found for s in STRUCTS):
            break
        for cu in dwarf.iter_CUs():
            name = cu.get_top_DIE().attributes.get("DW_AT_name")
            if name is None or not name.value.endswith(wanted):
                continue
            for die in cu.iter_DIEs():
                if die.tag == "DW_TAG_structure_type" and "DW_AT_byte_size" in \
                        die.attributes:
                    n = die.attributes.get("DW_AT_name")
                    if n is not None and n.value.decode() in STRUCTS:
                        found.setdefault(n.value.decode(), die)
            break
    missing = [s for s in STRUCTS if s not in found]
    if missing:
        raise LayoutError(f"debug info lacks struct {', '.join(missing)}")
    return {name: {"size": die.attributes["DW_AT_byte_size"].value,
                   "members": dict(_flatten(die, "", 0, 0))}
            for name, die in found.items()}


def _strip(die):
    """Follow typedefs and qualifiers to the real type DIE."""
    while die is not None and die.tag in ("DW_TAG_typedef", "DW_TAG_const_type",
                                          "DW_TAG_volatile_type", "DW_TAG_atomic_type"):
        if "DW_AT_type" not in die.attributes:
            return None
        die = die.get_DIE_from_attribute("DW_AT_type")
    return die


def _type_size(die) -> int:
    die = _strip(die)
    if die is None:
        return 0
    if "DW_AT_byte_size" in die.attributes:
        return die.attributes["DW_AT_byte_size"].value
    if die.tag == "DW_TAG_pointer_type":
        return 8
    if die.tag == "DW_TAG_array_type":
        count = _array_count(die)
        return count * _type_size(die.get_DIE_from_attribute("DW_AT_type"))
    return 0


def _array_count(die) -> int:
    for sub in die.iter_children():
        if sub.tag == "DW_TAG_subrange_type":
            if "DW_AT_count" in sub.attributes:
                return sub.attributes["DW_AT_count"].value
            if "DW_AT_upper_bound" in sub.attributes:
                return sub.attributes["DW_AT_upper_bound"].value + 1
    return 0


def _flatten(struct_die, prefix: str, base: int, depth: int):
    """(path, [offset, size, bit_offset, bit_size]) for every member, nested structs and
    unions included; arrays give their element size, and element 0 of an array of structs
    is flattened as name[0]."""
    if depth > 4:
        return
    for m in struct_die.iter_children():
        if m.tag != "DW_TAG_member":
            continue
        attrs = m.attributes
        name = attrs["DW_AT_name"].value.decode() if "DW_AT_name" in attrs else ""
        loc = attrs.get("DW_AT_data_member_location")
        off = base + (loc.value if loc is not None and isinstance(loc.value, int) else 0)
        mtype = _strip(m.get_DIE_from_attribute("DW_AT_type")) if "DW_AT_type" in attrs else None
        path = f"{prefix}{name}" if name else prefix.rstrip(".")
        if "DW_AT_bit_size" in attrs:
            bits = attrs["DW_AT_bit_size"].value
            if "DW_AT_data_bit_offset" in attrs:
                dbo = attrs["DW_AT_data_bit_offset"].value
                yield path, [base + dbo // 8, 1, dbo % 8, bits]
            else:   # DWARF 2-4: bit offset from the most significant bit of the storage unit
                size = attrs["DW_AT_byte_size"].value if "DW_AT_byte_size" in attrs else 4
                bo = attrs["DW_AT_bit_offset"].value
                lsb = size * 8 - bo - bits
                yield path, [off + lsb // 8, 1, lsb % 8, bits]
            continue
        if mtype is None:
            continue
        if mtype.tag == "DW_TAG_array_type":
            elem = _strip(mtype.get_DIE_from_attribute("DW_AT_type"))
            esize = _type_size(elem)
            if name:
                yield path, [off, esize, -1, 0, _array_count(mtype)]
            if elem is not None and elem.tag in ("DW_TAG_structure_type", "DW_TAG_union_type"):
                yield from _flatten(elem, f"{path}[0].", off, depth + 1)
            continue
        if name:
            yield path, [off, _type_size(mtype), -1, 0]
        if mtype.tag in ("DW_TAG_structure_type", "DW_TAG_union_type"):
            yield from _flatten(mtype, f"{path}." if name else prefix, off, depth + 1)
