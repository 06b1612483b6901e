"""The kernel half of exec: fs/exec.c, fs/binfmt_script.c and fs/binfmt_elf.c in Python."""
from .exec import ExecError, ExecFatal, LinuxBinprm, do_execve

__all__ = ["ExecError", "ExecFatal", "LinuxBinprm", "do_execve"]
