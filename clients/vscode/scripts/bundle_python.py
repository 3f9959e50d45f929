"""Install the sourcepacker package and its dependencies into the extension, for one platform.

    python scripts/bundle_python.py --target linux-x64 --project ../.. --out bundled/libs

The pattern of Microsoft's Python tools extension template (``bundled/libs`` put on ``sys.path``
by a small launcher), with the dependencies compiled per CPython version (tiktoken, regex,
xxhash, msgspec, charset-normalizer) once per version, and everything else once:

    bundled/libs/bundle.json   {"target": "linux-x64", "pythons": ["3.11", "3.12", "3.13"]}
    bundled/libs/common/       distributions identical for every version (pure Python, abi3)
    bundled/libs/cp311/ …      the rest, for that version (bundled/tool/serve.py picks one)

pip resolves for the target, not for this machine (``--platform --python-version
--implementation cp --only-binary=:all:``), so any Python >= 3.10 with pip builds every target.
Sharing what is identical for every version cuts the bundle to about half (README figures).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import distributions
from pathlib import Path

#: VS Code target → pip platform tag. The floors are VS Code's own: glibc 2.28 (VS Code 1.86+)
#: and macOS 11 (VS Code 1.97+).
PLATFORMS = {
    "linux-x64": "manylinux_2_28_x86_64",
    "linux-arm64": "manylinux_2_28_aarch64",
    "darwin-x64": "macosx_11_0_x86_64",
    "darwin-arm64": "macosx_11_0_arm64",
    "win32-x64": "win_amd64",
}
#: Legacy names of manylinux_2_5 / 2_12 / 2_17 wheels.
LEGACY_MANYLINUX = {5: "manylinux1", 12: "manylinux2010", 17: "manylinux2014"}


def platform_tags(target: str) -> list[str]:
    """The tag and every older one it runs: pip widens macosx_11_0 itself, not manylinux_2_28
    (tree-sitter-cpp has only manylinux_2_17 wheels)."""
    tag = PLATFORMS[target]
    if not tag.startswith("manylinux_"):
        return [tag]
    _, major, minor, arch = tag.split("_", 3)
    tags = []
    for glibc in range(int(minor), 4, -1):
        tags.append(f"manylinux_{major}_{glibc}_{arch}")
        if glibc in LEGACY_MANYLINUX:
            tags.append(f"{LEGACY_MANYLINUX[glibc]}_{arch}")
    return tags


PYTHONS = ("3.11", "3.12", "3.13")
#: What a wheel of the project needs from the checkout (setuptools builds in the source tree).
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "server")


def run(*args: str) -> None:
    print("+", " ".join(args), flush=True)  # noqa: T201
    subprocess.run(args, check=True, env={**os.environ, "PIP_ROOT_USER_ACTION": "ignore"})


def build_wheel(project: Path, scratch: Path) -> Path:
    """The project's wheel, built from a copy so the checkout gets no build/ or egg-info."""
    src = scratch / "src"
    src.mkdir()
    for name in PROJECT_FILES:
        path = project / name
        if path.is_dir():
            skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(path, src / name, ignore=skip)
        elif path.exists():
            shutil.copy2(path, src / name)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "-w",
        str(scratch / "wheel"),
        str(src),
    )
    (wheel,) = (scratch / "wheel").glob("sourcepacker-*.whl")
    return wheel


def install(wheel: Path, platforms: list[str], python: str, target: Path) -> None:
    run(
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-compile", "--only-binary=:all:", "--target", str(target),
        *(arg for tag in platforms for arg in ("--platform", tag)),
        "--python-version", python, "--implementation", "cp", str(wheel),
    )  # fmt: skip
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts: the launcher runs -m


def share_identical(dirs: list[Path], common: Path) -> list[str]:
    """Move the distributions installed identically in every dir into ``common``.

    Identical = the same RECORD (every file with its hash): pure-Python wheels and abi3 ones
    (tree-sitter and its grammars), not those compiled per CPython version.
    """
    found = [{d.metadata["Name"]: d for d in distributions(path=[str(p)])} for p in dirs]
    shared = []
    for name, dist in sorted(found[0].items()):
        record = dist.read_text("RECORD")
        if not all(name in f and f[name].read_text("RECORD") == record for f in found):
            continue
        shared.append(f"{name}=={dist.version}")  # before its METADATA moves
        for rel in dist.files or []:
            for i, base in enumerate(dirs):
                path = base / rel
                if i == 0 and path.is_file():
                    (common / rel).parent.mkdir(parents=True, exist_ok=True)
                    path.replace(common / rel)
                else:
                    path.unlink(missing_ok=True)
    for base in dirs:  # the emptied package folders
        for folder in sorted((p for p in base.rglob("*") if p.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
    return shared


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, choices=sorted(PLATFORMS))
    parser.add_argument("--project", type=Path, required=True, help="the repository root")
    parser.add_argument("--out", type=Path, required=True, help="replaced: bundled/libs")
    parser.add_argument("--pythons", default=",".join(PYTHONS), help="default: %(default)s")
    args = parser.parse_args()
    pythons = args.pythons.split(",")
    out: Path = args.out.resolve()
    with tempfile.TemporaryDirectory(prefix="sp-bundle-") as tmp:
        scratch = Path(tmp)
        wheel = build_wheel(args.project.resolve(), scratch)
        staged = scratch / "libs"
        dirs = [staged / ("cp" + v.replace(".", "")) for v in pythons]
        for version, target in zip(pythons, dirs, strict=True):
            install(wheel, platform_tags(args.target), version, target)
        (staged / "common").mkdir()
        shared = share_identical(dirs, staged / "common")
        manifest = {"target": args.target, "pythons": pythons, "shared": shared}
        (staged / "bundle.json").write_text(json.dumps(manifest, indent=2) + "\n")
        shutil.rmtree(out, ignore_errors=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, out)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"bundled {args.target} for Python {', '.join(pythons)}: {size / 2**20:.1f} MiB")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
