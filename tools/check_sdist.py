"""Build the sdist, check it carries what the tests and docs need, install it into a fresh
virtual environment and run a quick test from the unpacked sdist against the installed copy.

    python tools/check_sdist.py [--keep] [-- PYTEST ARGS]

Exit 0 when all of that holds. Needs ``build`` (``pip install build``) and network access to
the package index for the build requirements and the ``test`` extra.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: files the sdist must have: running the tests and building the docs from it needs them
REQUIRED = [
    "CHANGELOG.md",
    "LICENSE",
    "README.md",
    "tox.ini",
    "pyproject.toml",
    "requests_dav/py.typed",
    "tests/conftest.py",
    "tests/servers/__init__.py",
    "tests/servers/common.py",
    "tests/servers/README.md",
    "tests/auth/__init__.py",
    "tests/cli/__init__.py",
    "tests/dav/__init__.py",
    "tests/dav/data",
    "tests/integration/__init__.py",
    "docs/conf.py",
    "docs/index.rst",
    "docs/examples",
    "benchmarks/bench_tree.py",
]
QUICK_TESTS = ["tests/test_package.py", "tests/dav/test_hrefs.py", "tests/auth/test_challenge.py"]


def run(command: list[str], cwd: Path) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, cwd=cwd, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory.")
    parser.add_argument("pytest_args", nargs="*", help="Tests to run (default: a quick set).")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="requests-dav-sdist-"))
    try:
        run([sys.executable, "-m", "build", "--sdist", "--outdir", str(work / "dist")], ROOT)
        (archive,) = (work / "dist").glob("*.tar.gz")
        with tarfile.open(archive) as tar:
            names = tar.getnames()
            top = names[0].split("/", 1)[0]
            if sys.version_info >= (3, 12):
                tar.extractall(work, filter="data")
            else:
                tar.extractall(work)  # noqa: S202 - our own archive, just built
        source = work / top
        missing = [name for name in REQUIRED if not (source / name).exists()]
        if missing:
            print(f"the sdist lacks: {', '.join(missing)}", file=sys.stderr)
            return 1
        environment = work / "venv"
        venv.create(environment, with_pip=True)
        python = environment / "bin" / "python"
        run([str(python), "-m", "pip", "install", "-q", f"{source}[test]"], work)
        # the venv's pytest script, not "python -m pytest": that would put the unpacked
        # source first on sys.path and test it instead of the installed package
        where = subprocess.run(
            [str(python), "-c", "import requests_dav; print(requests_dav.__file__)"],
            cwd=work,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not where.startswith(str(environment)):
            print(f"requests_dav is not the installed copy: {where}", file=sys.stderr)
            return 1
        tests = args.pytest_args or QUICK_TESTS
        run([str(environment / "bin" / "pytest"), "-q", "-p", "no:cacheprovider", *tests], source)
        print(f"sdist ok: {archive.name}")
        return 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
