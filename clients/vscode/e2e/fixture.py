"""Write the e2e fixture workspace: a few folders, ~20 small text files, a .gitignore, a binary,
one heavy file and one with a planted secret, and a generated folder `gen/` of many small files.

usage: python3 fixture.py DIR [N]   (DIR is created; N generated files, default 10000; prints a
summary). Deterministic content, so token counts are stable from run to run. The exact figures
the scenario compares with the CLI's are read from the status bar item's accessible label.
"""

from __future__ import annotations

import sys
from pathlib import Path

FILES: dict[str, str] = {
    ".gitignore": "# build outputs and logs are not context\n*.log\nbuild/\n",
    "README.md": "# Demo project\n\nA tiny workspace for the SourcePacker end-to-end test.\n",
    "pyproject.toml": '[project]\nname = "demo"\nversion = "0.1.0"\n',
    "src/app.py": (
        '"""Entry point."""\n\nfrom util import greet\n\n\ndef main() -> None:\n'
        '    print(greet("world"))\n\n\nif __name__ == "__main__":\n    main()\n'
    ),
    "src/util.py": 'def greet(name: str) -> str:\n    return f"Hello, {name}!"\n',
    "src/models/__init__.py": "from .user import User\n\n__all__ = [\"User\"]\n",
    "src/models/user.py": (
        "from dataclasses import dataclass\n\n\n@dataclass\nclass User:\n"
        "    name: str\n    email: str\n\n    def display(self) -> str:\n"
        '        return f"{self.name} <{self.email}>"\n'
    ),
    "src/models/order.py": (
        "from dataclasses import dataclass, field\n\n\n@dataclass\nclass Order:\n"
        "    id: int\n    items: list[str] = field(default_factory=list)\n"
    ),
    "src/debug.log": "ignored by .gitignore: must be in neither the tree nor the pack\n",
    "docs/guide.md": "# Guide\n\nRun `python src/app.py` to be greeted.\n",
    "docs/api.md": "# API\n\n- `greet(name)` returns a greeting.\n- `User.display()` formats a user.\n",
    "docs/changelog.md": "# Changelog\n\n## 0.1.0\n\n- First release.\n",
    "tests/test_util.py": (
        "from util import greet\n\n\ndef test_greet() -> None:\n"
        '    assert greet("a") == "Hello, a!"\n'
    ),
    "tests/test_models.py": (
        "from models import User\n\n\ndef test_display() -> None:\n"
        '    assert User("a", "a@b.c").display() == "a <a@b.c>"\n'
    ),
    "config/settings.toml": '[server]\nhost = "127.0.0.1"\nport = 8080\n',
    "config/logging.ini": "[loggers]\nkeys = root\n\n[logger_root]\nlevel = INFO\n",
    "scripts/run.sh": "#!/bin/sh\nexec python3 src/app.py \"$@\"\n",
    "scripts/lint.sh": "#!/bin/sh\nruff check src tests\n",
    "web/index.html": "<!doctype html>\n<title>Demo</title>\n<p>Hello</p>\n",
    "web/style.css": "body { font-family: sans-serif; margin: 2em; }\n",
    "web/main.js": "document.querySelector('p').textContent = 'Hello, world!';\n",
    "notes.txt": "Remember: the e2e test appends lines to src/util.py.\n",
    "build/out.txt": "ignored build output\n",
    # a planted secret: masked in the pack ([REDACTED github-pat]) by the daemon and the CLI alike
    "src/deploy.py": 'GITHUB_TOKEN = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"\n',
    # the heavy file of the selection (~2.4k tokens): first when sorted by tokens, its share shown
    "src/tables.py": "RATES = {\n"
    + "".join(f"    'r{i:04d}': ({i * 37 % 1000}, {i * 91 % 997}, '{i:x}'),\n" for i in range(220))
    + "}\n",
}

# NUL bytes in the first block: binary, skipped by the daemon and the CLI alike.
BINARY = {"web/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4}


def generated(count: int) -> dict[str, str]:
    """`gen/pkgNN/modNNNN.py`, 100 files a folder: the workspace at scale (10,000 by default)."""
    out = {}
    for i in range(count):
        out[f"gen/pkg{i // 100:03d}/mod{i:05d}.py"] = (
            f'"""Generated module {i}."""\n\n\ndef f{i}(x: int) -> int:\n'
            f"    return x * {i % 97} + {i // 7}\n\n\nVALUES = {[i % 13, i % 17, i % 19]}\n"
        )
    return out


def main() -> None:
    root = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    gen = generated(count)
    for rel, text in gen.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8", newline="\n")
    print(f"gen/: {len(gen)} files")
    for rel, text in FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8", newline="\n")
        print(rel)
    for rel, data in BINARY.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        print(rel)


if __name__ == "__main__":
    main()
