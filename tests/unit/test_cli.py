"""The command line, in process (``cli.main``) and once as a real ``python -m sourcepacker``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sourcepacker.cli import main
from sourcepacker.vocab import get_encoding
from sptree import age, make_tree
from sptree import run_cli as run

TREE: dict[str, str | bytes] = {
    "README.md": "# Demo\n\nA small project.\n",
    "src/app.py": "def main():\n    print('hello')\n",
    "src/util.py": "X = 1\n",
    "docs/guide.md": "Use it ```well```.\n",
    "logo.png": b"\x89PNG\r\n\x1a\n\0\0",
    "data.txt": b"caf\xe9\n",
}
COUNTED = ["README.md", "docs/guide.md", "src/app.py", "src/util.py"]


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCEPACKER_CACHE_DIR", str(tmp_path / "cache"))
    root = make_tree(tmp_path / "ws", TREE)
    age(root)
    return root


def count(text: str, encoding: str = "o200k_base") -> int:
    return len(get_encoding(encoding).encode_ordinary(text))


def test_pack_to_stdout(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "pack", str(ws))
    assert (code, err) == (0, "")
    assert out.startswith('<sourcepacker>\n<file path="README.md">')
    assert [line for line in out.splitlines() if line.startswith("<file ")] == [
        f'<file path="{rel}">' for rel in COUNTED
    ]
    assert "PNG" not in out


@pytest.mark.parametrize(
    "options",
    [
        pytest.param([], id="xml"),
        pytest.param(["--format", "markdown"], id="markdown"),
        pytest.param(["--format", "plain", "--tree"], id="plain-tree"),
        pytest.param(["--tree", "--encoding", "cl100k_base"], id="xml-tree-cl100k"),
    ],
)
def test_json_tokens_equal_the_count_of_the_written_text(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str]
) -> None:
    out_file = tmp_path / "packed.txt"
    code, out, _ = run(capsys, "pack", str(ws), *options, "--json", "-o", str(out_file))
    assert code == 0
    summary = json.loads(out)
    text = out_file.read_text(encoding="utf-8")
    encoding = options[-1] if "--encoding" in options else "o200k_base"
    assert summary["tokens"] == count(text, encoding)
    assert summary["root"] == str(ws.resolve())
    assert summary["encoding"] == encoding
    assert summary["format"] == (options[1] if options[:1] == ["--format"] else "xml")
    assert summary["fileCount"] == len(COUNTED)
    assert sorted(summary["files"]) == COUNTED
    assert sorted(summary["skipped"], key=lambda s: s["path"]) == [
        {"path": "data.txt", "reason": "invalid-utf8"},
        {"path": "logo.png", "reason": "binary"},
    ]


@pytest.mark.parametrize(
    ("fmt", "marker"),
    [
        pytest.param("markdown", "```python\ndef main():", id="markdown"),
        pytest.param("plain", "===== src/app.py =====\ndef main():", id="plain"),
        pytest.param("xml", '<file path="src/app.py">\ndef main():', id="xml"),
    ],
)
def test_formats(ws: Path, capsys: pytest.CaptureFixture[str], fmt: str, marker: str) -> None:
    code, out, _ = run(capsys, "pack", str(ws), "--format", fmt)
    assert code == 0 and marker in out


def test_tree_header(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, plain, _ = run(capsys, "pack", str(ws))
    _, out, _ = run(capsys, "pack", str(ws), "--tree")
    assert out.endswith(plain.removeprefix("<sourcepacker>\n")) and len(out) > len(plain)
    header = out[: len(out) - len(plain)]
    assert "src" in header and "app.py" in header


@pytest.mark.parametrize(
    ("options", "files"),
    [
        pytest.param(["--include", "src/**"], ["src/app.py", "src/util.py"], id="include"),
        pytest.param(["--exclude", "*.md"], ["src/app.py", "src/util.py"], id="exclude"),
        pytest.param(
            ["--include", "*.md", "--exclude", "docs/"], ["README.md"], id="include-exclude"
        ),
    ],
)
def test_include_exclude(
    ws: Path, capsys: pytest.CaptureFixture[str], options: list[str], files: list[str]
) -> None:
    code, out, _ = run(capsys, "pack", str(ws), "--json", *options)
    assert code == 0
    assert sorted(json.loads(out)["files"]) == files


def test_several_paths_relative_to_cwd(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ws)
    code, out, _ = run(capsys, "pack", "src/app.py", "docs", "--json")
    assert code == 0
    assert sorted(json.loads(out)["files"]) == ["docs/guide.md", "src/app.py"]


def test_packing_paths_scans_only_those_paths(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ws)
    code, _, err = run(capsys, "pack", "src", "README.md", "--stats", "-o", os.devnull)
    assert code == 0
    lines = dict(line.split(":", 1) for line in err.splitlines() if ":" in line)
    assert lines["files found"].strip() == "3"  # not docs/, logo.png or data.txt
    assert lines["skipped"].strip() == "0"


def test_stats(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "pack", str(ws), "--stats", "-o", os.devnull)
    assert (code, out) == (0, "")
    lines = dict(line.split(":", 1) for line in err.splitlines() if ":" in line)
    assert lines["files found"].strip() == "5"  # data.txt is found, then refused when read
    assert lines["tokenized"].strip() == "4"
    assert lines["cache hits"].strip() == "0"
    assert lines["skipped"].strip() == "2 (binary 1, invalid-utf8 1)"
    assert "walk" in lines["time"] and "count" in lines["time"] and "ms" in lines["time"]
    # Second run: the cache answers; nothing is read, let alone tokenized.
    _, _, err = run(capsys, "pack", str(ws), "--stats", "-o", os.devnull)
    again = dict(line.split(":", 1) for line in err.splitlines() if ":" in line)
    assert (again["read+hashed"].strip(), again["tokenized"].strip()) == ("0", "0")


def test_tokens_json_is_complete_whatever_top_says(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "tokens", str(ws), "--top", "2", "--json")
    assert code == 0
    table = json.loads(out)
    assert table["fileCount"] == 4 and table["exact"] is True
    assert len(table["files"]) == 4  # --top shortens only the human table
    tokens = [row["tokens"] for row in table["files"]]
    assert tokens == sorted(tokens, reverse=True)
    expected = {rel: count(str(TREE[rel])) for rel in COUNTED}
    assert table["tokens"] == sum(expected.values())
    assert {r["path"]: r["tokens"] for r in table["files"]}.items() <= expected.items()
    assert {s["path"]: s["reason"] for s in table["skipped"]} == {
        "data.txt": "invalid-utf8",
        "logo.png": "binary",
    }


def test_tokens_text_table(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tokens", str(ws), "--top", "0")
    assert code == 0
    assert "total (4 files, o200k_base)" in out.splitlines()[0]
    assert "src/" in out and "src/app.py" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["pack", "{ws}/missing"], "no such file or directory", id="missing-path"),
        pytest.param(["tokens", "{ws}", "--encoding", "nope"], "'nope'", id="unknown-encoding"),
        pytest.param(
            ["pack", "{ws}/src/app.py", "--root", "{ws}/docs"], "outside", id="outside-root"
        ),
        pytest.param(["pack", "{ws}", "-o", "{ws}/no/such/dir/out.txt"], "out.txt", id="bad-out"),
    ],
)
def test_errors_are_one_line_and_non_zero(
    ws: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(ws.parent / "no-tiktoken-cache"))
    with _exits() as status:
        status.append(main([a.format(ws=ws) for a in argv]))
    _, err = capsys.readouterr()
    assert status[-1] not in (0, None)
    assert len(err.strip().splitlines()) == 1, err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["tokens", ".", "--workers", "0"], id="workers-zero"),
        pytest.param(["tokens", ".", "--max-file-size", "-5"], id="negative-size"),
        pytest.param(["pack", ".", "--format", "html"], id="unknown-format"),
    ],
)
def test_bad_options_are_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "error: argument" in capsys.readouterr().err.splitlines()[-1]


class _exits:
    """Collects the status of ``main`` whether it returns or argparse exits."""

    def __enter__(self) -> list[int | None]:
        self.status: list[int | None] = []
        return self.status

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> bool:
        if isinstance(exc, SystemExit):
            self.status.append(exc.code if isinstance(exc.code, int) else 1)
            return True
        return False


def test_copy_without_clipboard_tool_says_so(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    for var in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    code, out, err = run(capsys, "pack", str(ws), "--copy")
    assert code == 1
    assert out == ""
    assert err.startswith("sourcepacker: error: no clipboard tool available")
    assert len(err.strip().splitlines()) == 1


def test_copy_with_a_clipboard_tool(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "pbcopy"
    tool.write_text(f"#!/bin/sh\ncat > '{tmp_path / 'clipboard'}'\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    code, out, err = run(capsys, "pack", str(ws), "--copy")
    assert (code, out) == (0, "")
    assert "Copied 4 files" in err and "(pbcopy)" in err
    assert (
        (tmp_path / "clipboard").read_text().startswith('<sourcepacker>\n<file path="README.md">')
    )


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert code == 2 and "pack" in err and out == ""


def test_real_subprocess_piped_prints_only_the_result(ws: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SOURCEPACKER_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, "-m", "sourcepacker", "pack", str(ws), "--format", "plain"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, "")  # no progress bar when piped
    assert proc.stdout.startswith("===== README.md =====\n")
    assert "\x1b[" not in proc.stdout


def test_tokens_of_a_file_counts_that_file_only(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ws / "docs")
    (ws / "docs" / "other.md").write_text("more words here\n")
    code, out, _ = run(capsys, "tokens", "guide.md", "--json", "--stats")
    assert code == 0
    table = json.loads(out)
    assert [row["path"] for row in table["files"]] == ["guide.md"]
    assert table["tokens"] == count(str(TREE["docs/guide.md"]))


def test_file_arguments_take_the_repository_top_as_root(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    monkeypatch.chdir(ws / "src")
    code, out, _ = run(capsys, "pack", "app.py", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["root"] == str(ws.resolve())
    assert list(summary["files"]) == ["src/app.py"]


def test_a_pack_never_packs_itself(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = ws / "packed.xml"
    results = []
    for _ in range(3):
        code, _out, err = run(capsys, "pack", str(ws), "-o", str(out_file))
        assert code == 0
        results.append(err.strip().splitlines()[-1])
        assert 'path="packed.xml"' not in out_file.read_text()
    assert results[0] == results[1] == results[2]


def test_an_empty_pack_is_an_error_with_reasons(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = ws.parent / "out.xml"
    code, _out, err = run(capsys, "pack", str(ws), "--include", "*.rst", "-o", str(out_file))
    assert code == 1
    assert "nothing to pack" in err and "Traceback" not in err
    assert not out_file.exists()


def test_named_paths_that_are_not_packed_say_why(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (ws / ".gitignore").write_text("secret.env\n*.log\n")
    (ws / "secret.env").write_text("KEY=1\n")
    (ws / "app.log").write_text("log\n")
    monkeypatch.chdir(ws)
    code, _out, err = run(capsys, "pack", "secret.env", "app.log", "logo.png", "nope.txt")
    assert code == 1
    for name, reason in [
        ("secret.env", "ignored"),
        ("app.log", "ignored"),
        ("logo.png", "binary"),
        ("nope.txt", "missing"),
    ]:
        assert f"{name}: {reason}" in err
    code, out, err = run(capsys, "pack", "README.md", "secret.env", "--json")
    assert code == 0
    summary = json.loads(out)
    assert list(summary["files"]) == ["README.md"]
    assert {"path": "secret.env", "reason": summary["skipped"][0]["reason"]} in summary["skipped"]
    assert summary["skipped"][0]["reason"].startswith("ignored")
