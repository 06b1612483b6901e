"""Every 3rd malloc() the program makes returns NULL (to test its error handling).
pyloader run --hook examples/hooks/failing_malloc.py ./hooks_demo

A wrapper: the real malloc runs through call.original() the other times. callers="main"
leaves the mallocs libc makes for itself (stdio buffers, strdup...) alone."""


def setup(p):
    calls = 0

    @p.hook("malloc", callers="main")
    def sometimes_null(call):
        nonlocal calls
        calls += 1
        if calls % 3 == 0:
            return 0
        return call.original()
