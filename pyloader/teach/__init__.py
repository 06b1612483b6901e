"""Teaching modes: `pyloader explain`, `maps`, `report`, `--trace-bindings`, `--trace-faults`.

Everything these print is observed from the load and run pyloader really performs (the
binfmt record, the Python ld.so's link maps, guest memory, the syscall trace); nothing is
canned. The `run` path never imports this package unless one of those options is given.
"""
