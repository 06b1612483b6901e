"""time() returns 14 November 2023, 22:13:20 UTC, whoever calls it.
pyloader run --hook examples/hooks/fake_time.py ./hooks_demo

An exit hook: the real time() runs, then its result (and *tloc, when given) is rewritten."""

FAKE = 1700000000


def setup(p):
    @p.hook("time", when="exit")
    def frozen(call):
        call.retval = FAKE
        if call.args[0]:                   # time(&t) also stores the time in t
            call.write_struct("<q", call.args[0], FAKE)
