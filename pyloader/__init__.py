"""pyloader: run Linux x86-64 ELF programs in Unicorn, with the kernel's exec path and the
dynamic linker reimplemented in Python, and trace their system calls as strace does."""
__version__ = "0.1.0"

from . import engine as _engine

_engine.select()                # before anything imports unicorn: which library it loads


def __getattr__(name):          # lazy: `pyloader run` imports only what it uses
    if name == "Process":
        from .process import Process
        return Process
    raise AttributeError(name)
