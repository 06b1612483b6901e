"""Every printf prints in upper case.  pyloader run --hook examples/hooks/upper_printf.py
./hello_name Samir

printf is replaced: the format is decoded with the guest's own variable arguments, and the
text is written to the guest's stdout. The return value is what printf returns: the number
of bytes written. (gcc turns printf("text\\n") into puts: that is hooked too.)"""


def setup(p):
    @p.hook("printf")
    def shout(call):
        text = call.format_string()
        p.stdout.write(text.upper())
        return len(text.encode())

    @p.hook("puts")
    def shout_line(call):
        text = call.string(call.args[0]) + "\n"
        p.stdout.write(text.upper())
        return len(text)
