# The gdb extension (info compartments, flexos which, flexos bt),
# installed as $(pkgdatadir)/gdb/flexos.py: /usr/share/flexos-linux/gdb.
gdbextdir = $(pkgdatadir)/gdb
dist_gdbext_DATA = tools/gdb/flexos.py
