"""The way a user outside this repo gets gort: `make install PREFIX=DIR`,
then a program of their own compiled against DIR with the command README.md
gives.  The program is README.md's own example, so the README cannot drift
from what works.  It must run correctly under GORTMAXPROCS=1 and 2, and gdb
must load the extension from DIR by itself."""
import os
import re
import subprocess

import pytest

from conftest import BUILD, REPO


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    prefix = str(tmp_path_factory.mktemp("prefix"))
    proc = subprocess.run(["make", "-s", "--no-print-directory", "-C", REPO,
                           "BUILD=" + BUILD, "PREFIX=" + prefix, "install"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:]
    for f in ("include/gort.h", "lib/libgort.a", "bin/gort-dwarf", "bin/gort-core",
              "share/gort/gort-gdb.py"):
        assert os.path.exists(os.path.join(prefix, f)), "make install did not install " + f
    return prefix


@pytest.fixture(scope="module")
def example(installed, tmp_path_factory):
    with open(os.path.join(REPO, "README.md")) as f:
        readme = f.read()
    m = re.search(r"```c\n(.*?)```", readme, re.S)
    assert m, "README.md has no C example"
    d = tmp_path_factory.mktemp("example")
    src = os.path.join(str(d), "squares.c")
    with open(src, "w") as f:
        f.write(m.group(1))
    exe = os.path.join(str(d), "squares")
    # README's command line, with the prefix filled in
    cmd = ["cc", "-g", src, "-I" + installed + "/include", "-L" + installed + "/lib",
           "-lgort", "-lpthread", "-lm", "-o", exe]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, proc.stdout
    return exe


@pytest.mark.parametrize("procs", ["1", "2"])
def test_readme_example_runs(example, procs):
    env = dict(os.environ, GORTMAXPROCS=procs)
    proc = subprocess.run([example], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "sum of squares: 385"


def test_gdb_autoloads_installed_extension(installed, example):
    proc = subprocess.run(
        ["gdb", "-batch", "-nx", "-iex", "add-auto-load-safe-path " + installed,
         "-iex", "add-auto-load-safe-path " + os.path.dirname(example),
         "-ex", "break gort_chan_recv", "-ex", "run", "-ex", "info auto-load python-scripts",
         "-ex", "info goroutines", "-ex", "kill", example],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
        stdin=subprocess.DEVNULL)
    out = proc.stdout
    assert re.search(r"Yes\s+\S*/share/gort/gort-gdb\.py", out), out
    assert re.search(r"\b1 running\s+app at .*squares\.c:\d+", out), out
    assert "Traceback" not in out and "Python Exception" not in out, out
