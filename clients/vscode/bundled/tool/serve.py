"""Start the SourcePacker daemon from the libraries bundled in the extension.

    python bundled/tool/serve.py      (what the extension runs; = python -m sourcepacker serve)

bundled/libs/common holds the pure-Python packages and bundled/libs/cpXY the compiled ones for
CPython X.Y (scripts/bundle_python.py); both go first on sys.path, so the bundled versions win
over whatever the interpreter has installed. Written for any Python >= 3.6, so that an old
one gets a one-line reason instead of a SyntaxError.
"""

import os
import runpy
import sys

MIN_VERSION = (3, 11)


def main():
    version = "{}.{}".format(*sys.version_info[:2])
    if sys.version_info < MIN_VERSION:
        sys.exit(f"SourcePacker needs Python 3.11 or newer; {sys.executable} is {version}.")
    libs = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs")
    native = os.path.join(libs, "cp{}{}".format(*sys.version_info[:2]))
    if not os.path.isdir(native):
        sys.exit(f"SourcePacker: no libraries bundled for Python {version} in {libs}.")
    sys.path[0:1] = [native, os.path.join(libs, "common")]  # in place of this script's folder
    sys.argv = ["sourcepacker", "serve", *sys.argv[1:]]
    runpy.run_module("sourcepacker", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
