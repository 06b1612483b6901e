/* A library whose own definitions come first for it (DT_SYMBOLIC, via DF_SYMBOLIC in
   DT_FLAGS, which tests/test_ld.py sets in the built file: a link with -Bsymbolic would bind
   `value` at link time and leave nothing for ld.so to decide). symbolic_main.c defines
   `value` too; the library must still see its own. */
int value = 1;

int get(void)
{
    return value;
}
