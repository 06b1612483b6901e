"""Calls of puts go to my_puts in libmine.so, which is loaded for it (LD_PRELOAD-like
interposition decided in Python; libmine.so's own call of puts reaches the real one).
gcc -shared -fPIC -o libmine.so examples/hooks/libmine.c
LIBMINE=./libmine.so pyloader run --hook examples/hooks/redirect_puts.py ./hello_world"""
import os


def setup(p):
    p.redirect("puts", "my_puts", library=os.environ.get("LIBMINE", "./libmine.so"))
