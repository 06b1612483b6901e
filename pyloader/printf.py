"""printf formats decoded with a guest call's variable arguments, as glibc's vfprintf
converts them: `Call.format_string()` and ltrace's display of printf's arguments.

Variable arguments are read as va_arg reads them (x86-64 psABI 3.5.7): integers from the
general registers not taken by named arguments, then the stack; doubles from xmm0..xmm(al-1),
then the stack; long doubles always from the stack. The v* functions take a va_list, which
points at the same three places.
"""
from __future__ import annotations

import math
import re
import struct
from collections.abc import Iterator

# where the format is among each function's arguments
FORMAT_INDEX = {
    "printf": 0, "vprintf": 0, "wprintf": 0, "warn": 0, "warnx": 0, "vwarn": 0, "vwarnx": 0,
    "fprintf": 1, "vfprintf": 1, "dprintf": 1, "vdprintf": 1, "sprintf": 1, "vsprintf": 1,
    "asprintf": 1, "vasprintf": 1, "syslog": 1, "vsyslog": 1, "err": 1, "errx": 1,
    "verr": 1, "verrx": 1, "__printf_chk": 1, "__vprintf_chk": 1,
    "snprintf": 2, "vsnprintf": 2, "__fprintf_chk": 2, "__vfprintf_chk": 2,
    "__dprintf_chk": 2, "__vdprintf_chk": 2, "__asprintf_chk": 2, "__vasprintf_chk": 2,
    "__sprintf_chk": 3, "__vsprintf_chk": 3, "__syslog_chk": 2, "__vsyslog_chk": 2,
    "__snprintf_chk": 4, "__vsnprintf_chk": 4,
}
VA_LIST_FUNCS = {n for n in FORMAT_INDEX if n.lstrip("_").startswith("v")}

SPEC = re.compile(rb"%([-+ #0']*)(\*|\d+)?(?:\.(\*|\d*))?(hh|h|ll|l|L|q|j|z|Z|t)?"
                  rb"([diouxXeEfFgGaAcspnm%])")
INT_BITS = {b"hh": 8, b"h": 16, None: 32}       # everything else is 64


class VaArgs:
    """va_arg over what a call passed after its named arguments."""

    def __init__(self, mem, gp: list[int], fp: list[float], overflow: int):
        self.mem, self.gp, self.fp, self.overflow = mem, gp, fp, overflow

    @classmethod
    def of_call(cls, call, named: int) -> VaArgs:
        """The varargs after `named` integer arguments of a hooked call (at its entry)."""
        al = call.regs[7] & 0xFF
        fargs = call.fargs
        fp = [fargs[i] for i in range(min(al, len(fargs)))]
        return cls(call.hooks.mem, list(call.regs[named:6]), fp,
                   call.sp + 8 + 8 * max(0, named - 6))

    @classmethod
    def of_va_list(cls, mem, ap: int) -> VaArgs:
        """A va_list: {gp_offset, fp_offset, overflow_arg_area, reg_save_area}."""
        gp_off, fp_off, overflow, save = struct.unpack("<IIQQ", mem.read(ap, 24))
        gp = [mem.read_u64(save + o) for o in range(gp_off, 48, 8)] if gp_off < 48 else []
        fp = [struct.unpack("<d", mem.read(save + o, 8))[0]
              for o in range(fp_off, 176, 16)] if 48 <= fp_off < 176 else []
        return cls(mem, gp, fp, overflow)

    def int(self) -> int:
        if self.gp:
            return self.gp.pop(0)
        v = self.mem.read_u64(self.overflow)
        self.overflow += 8
        return v

    def double(self) -> float:
        if self.fp:
            return self.fp.pop(0)
        v = struct.unpack("<d", self.mem.read(self.overflow, 8))[0]
        self.overflow += 8
        return v

    def long_double(self) -> float:
        self.overflow = (self.overflow + 15) & ~15
        raw = self.mem.read(self.overflow, 10)
        self.overflow += 16
        return x87_to_float(raw)


def x87_to_float(raw: bytes) -> float:
    """An 80-bit x87 extended value as the nearest double."""
    mant, se = struct.unpack("<QH", raw)
    sign = -1.0 if se & 0x8000 else 1.0
    exp = se & 0x7FFF
    if exp == 0x7FFF:
        return sign * (float("inf") if mant << 1 == 0 else float("nan"))
    if exp == 0 and mant == 0:
        return sign * 0.0
    try:
        return sign * mant * 2.0 ** (exp - 16383 - 63)
    except OverflowError:
        return sign * float("inf")


def _signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def conversions(fmt: bytes, va: VaArgs, mem, strmax: int = 4096) \
        -> Iterator[tuple[bytes, bytes | None, object]]:
    """Walk a format: yields (literal text, None, None) and (spec text, conversion, value)
    with the value each conversion consumes (int, float, bytes or None for NULL)."""
    pos = 0
    for m in SPEC.finditer(fmt):
        if m.start() > pos:
            yield fmt[pos:m.start()], None, None
        pos = m.end()
        flags, width, prec, length, conv = m.groups()
        if conv == b"%":
            yield b"%", None, None
            continue
        spec = {"flags": flags, "width": width, "prec": prec, "length": length}
        if width == b"*":
            spec["width"] = _signed(va.int(), 32)
        if prec == b"*":
            spec["prec"] = _signed(va.int(), 32)
        if conv in b"eEfFgGaA":
            value = va.long_double() if length == b"L" else va.double()
        elif conv == b"s":
            p = va.int()
            value = mem.read_cstr(p, strmax) if p else None
        elif conv == b"m":
            value = None
        else:
            value = va.int()
        yield m.group(0), conv, (spec, value)
    if pos < len(fmt):
        yield fmt[pos:], None, None


def format_bytes(fmt: bytes, va: VaArgs, mem) -> bytes:
    """What vfprintf(fmt, va) writes."""
    out = []
    for text, conv, item in conversions(fmt, va, mem):
        if conv is None:
            out.append(text)
        else:
            out.append(_convert(conv, *item))
    return b"".join(out)


def _convert(conv: bytes, spec: dict, value) -> bytes:
    flags = spec["flags"].replace(b"'", b"")
    width, prec = spec["width"], spec["prec"]
    if isinstance(width, int):
        if width < 0:
            flags, width = flags + b"-", -width
        width = b"%d" % width
    if isinstance(prec, int):
        prec = None if prec < 0 else b"%d" % prec
    head = b"%" + flags + (width or b"") + (b"." + prec if prec is not None else b"")
    bits = INT_BITS.get(spec["length"], 64)
    c = conv.decode()
    if c in "di":
        return (head + b"d") % _signed(value, bits)
    if c == "u":
        return (head.replace(b"+", b"").replace(b" ", b"") + b"d") % (value & ((1 << bits) - 1))
    if c in "xX":
        return (head + conv) % (value & ((1 << bits) - 1))
    if c == "o":
        v = value & ((1 << bits) - 1)
        text = (head.replace(b"#", b"") + b"o") % v
        return text.replace(b"%o" % v, b"0%o" % v, 1) if b"#" in flags and v else text
    if c in "eEfFgG":
        return (head + conv) % value
    if c in "aA":
        text = re.sub(r"\.?0*p", "p", float(value).hex()) if not math.isnan(value) else "nan"
        text = text.upper() if c == "A" else text
        return (b"%" + flags.replace(b"#", b"") + (width or b"") + b"s") % text.encode()
    if c == "c":
        return (b"%" + flags + (width or b"") + b"s") % bytes([value & 0xFF])
    if c == "s":
        s = b"(null)" if value is None else value
        if value is None and prec is not None and int(prec) < 6:
            s = b""
        return (head + b"s") % s
    if c == "p":
        text = b"(nil)" if not value else b"0x%x" % value
        return (b"%" + flags.replace(b"#", b"").replace(b"0", b"") + (width or b"") + b"s") % text
    if c == "n":
        return b""
    return b"%m" if c == "m" else b""


def format_call(call, fmt_index: int | None = None) -> str:
    """Call.format_string(): the text a printf-family call would produce."""
    name = (call.hook.name if call.hook else call.name).rpartition(":")[2].partition("@")[0]
    if fmt_index is None:
        fmt_index = FORMAT_INDEX.get(name)
        if fmt_index is None:
            raise ValueError(f"{name} is not a known printf-family function: "
                             "give format_string(fmt_index)")
    mem = call.hooks.mem
    fmt = mem.read_cstr(call.args[fmt_index], 65536)
    if name in VA_LIST_FUNCS:
        va = VaArgs.of_va_list(mem, call.args[fmt_index + 1])
    else:
        va = VaArgs.of_call(call, fmt_index + 1)
    return format_bytes(fmt, va, mem).decode("utf-8", "surrogateescape")
