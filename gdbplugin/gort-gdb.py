# gort-gdb.py: the file gdb sources for a program linked with libgort.
#
# gdb finds it through the binary's .debug_gdb_scripts section (or a person
# types `source .../gort-gdb.py`).  All it does is put its own directory on
# sys.path and hand over to the `gort` package, which registers everything
# in one place.  Loading it twice, or into a program without gort, is
# harmless: registration is idempotent and every command first checks that
# the program carries the runtime (struct g, gort_allgs).
import os
import sys

# gdb may run from a read-only install: no __pycache__ next to the package.
sys.dont_write_bytecode = True

try:
    _here = os.path.dirname(os.path.abspath(__file__))
except NameError:            # inline script entry: no __file__
    _here = None
if _here and _here not in sys.path:
    sys.path.insert(0, _here)

try:
    import gort as _gort
    _gort.register()
except Exception as _e:      # never a traceback at load time
    print("gort: extension not loaded: %s" % _e)
