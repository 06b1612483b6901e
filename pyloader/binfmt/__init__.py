"""The kernel half of exec: fs/exec.c, fs/binfmt_script.c and fs/binfmt_elf.c in Python."""
from . import elf, script  # noqa: F401 (they register_binfmt: elf first, as the kernel's initcalls do)
from .exec import ExecError, ExecFatal, LinuxBinprm, do_execve, formats

__all__ = ["ExecError", "ExecFatal", "LinuxBinprm", "do_execve", "formats"]
