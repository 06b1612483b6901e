"""Log every fopen() on stderr: its arguments on entry, its result on return.
pyloader run --hook examples/hooks/log_fopen.py ./hooks_demo /etc/hostname"""
import sys


def setup(p):
    @p.hook("fopen", when="enter")
    def opening(call):
        print(f"fopen({call.string(call.args[0])!r}, {call.string(call.args[1])!r}) "
              f"from {call.caller}", file=sys.stderr)

    @p.hook("fopen", when="exit")
    def opened(call):
        print(f"fopen -> {'NULL' if call.retval == 0 else hex(call.retval)}", file=sys.stderr)
