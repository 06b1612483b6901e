"""qsort sorts backwards: the program's own static comparator (found in its .symtab) is
wrapped and its result negated. libc's qsort calls it through a function pointer, from
inside libc. pyloader run --hook examples/hooks/reverse_sort.py ./hooks_demo"""


def setup(p):
    @p.hook("by_value")
    def backwards(call):
        return -_int(call.original())


def _int(v: int) -> int:
    """The comparator's int result (eax) as a Python int."""
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v
