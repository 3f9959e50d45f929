"""Mask secrets in place: each value becomes ``[REDACTED <kind>]``, the code around it stays.

    masked, redactions = mask_secrets(text)

Pure (no I/O, no state). The rules compile on first use (``_rx``), not at import. A caller
that caches anything derived from the masked text (its token count above all) keys it by
``RULES_VERSION`` too.

How it stays fast
-----------------
One prefilter pass finds where a secret can be; the rules run in windows around those places
only. The prefilter is an Aho-Corasick automaton (``ahocorasick-rs``, Rust) over every rule's
keywords in the ASCII-lowered UTF-8 bytes, as gitleaks does. Figures on the stdlib without its
tests (945 files, 14.3 MB; ``tests/bench/bench_secrets.py``, 2 shared cores, load 8-12):
``mask_secrets`` runs at 350-470 MB/s of CPU time (90-250 MB/s wall); 145-160 MB/s CPU on
Django + TypeScript (47 MB; 9,710 "token" in typescript.js alone). For the same
keywords on the same text, one ``re`` alternation ran at 3-4 MB/s, a ``str.find`` loop per
keyword at 25 MB/s, ``pyahocorasick`` at 25 MB/s and ``google-re2`` at 62 MB/s;
detect-secrets 1.5.0 (it finds every kind too) at 0.17 MB/s.

Where the rules come from
-------------------------
Derived from gitleaks' default config (``config/gitleaks.toml``, MIT, commit b58d3f1, 2026-07),
rule ids: aws-access-token, anthropic-api-key, anthropic-admin-api-key, gcp-api-key, github-pat,
github-oauth, github-app-token, github-refresh-token, github-fine-grained-pat, gitlab-pat,
gitlab-pat-routable, slack-bot-token, slack-user-token, slack-app-token, slack-legacy-token,
slack-legacy-workspace-token, slack-config-access-token, slack-config-refresh-token,
slack-webhook-url, stripe-access-token, openai-api-key, private-key, jwt and generic-api-key
(its keyword idea, its letters-only allowlist and its 3.5 bits entropy floor). Where a token
format has a fixed length, the rule also takes longer tokens of the same shape, so that a longer
token is masked whole rather than leaking its tail. A kind is the gitleaks rule id, except:
``aws-access-key-id`` (gitleaks' aws-access-token), ``slack-token`` (its seven Slack token
rules in one), ``generic-secret`` and ``password`` (generic-api-key, named by the variable),
and ours: ``aws-secret-key`` (40 characters assigned to an ``aws_secret…`` or
``secret_access_key`` name) and ``url-password`` (``scheme://user:PASSWORD@host``).

Lines
-----
Masking never adds or removes a newline: line *n* of the masked text is line *n* of the
original, masked. A private key block keeps its ``-----BEGIN/END ...-----`` lines; its body
becomes one marker followed by the body's line ends (``\\n`` or ``\\r\\n``, as many as it held),
and its ``Redaction.line`` is the line of ``-----BEGIN``. A block without its END line is not
masked (as in gitleaks). Every other redaction lies on one line, the line of its value.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import ahocorasick_rs

__all__ = ["KEYWORDS", "RULES_VERSION", "Redaction", "marker", "mask_secrets"]

#: Bump when a rule, a threshold or the marker changes: masked text (and its count) may change.
RULES_VERSION = "1"


@dataclass(frozen=True, slots=True)
class Redaction:
    """One masked secret."""

    #: 1-based line of the secret in the ORIGINAL text (for a private key: its BEGIN line).
    line: int
    #: What it is, e.g. ``"github-pat"``: the marker reads ``[REDACTED <kind>]``.
    kind: str


def marker(kind: str) -> str:
    """What replaces a secret of ``kind``."""
    return f"[REDACTED {kind}]"


_MARKER_PREFIX = "[REDACTED "

# ---------------------------------------------------------------------------------------------
# Value checks
# ---------------------------------------------------------------------------------------------


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s own character distribution (gitleaks' measure)."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values()) if n else 0.0


# Values that are obviously not secrets: templates, references, fill-me-ins, masks.
_PLACEHOLDER_PARTS = (
    "changeme", "change_me", "change-me", "example", "placeholder", "your", "dummy",
    "redacted", "xxxx", "****", "....", "password", "passwd", "process.env", "environ",
    "getenv", "${", "{{", "%(", "$(", "<", ">",
)  # fmt: skip
_PLACEHOLDER_RE = re.compile(
    r"""
      \$(?:[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*)    # $VAR, $var (not "$2IciELm3": one case, as in
    | %(?:[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*)%   # gitleaks' global allowlist), %VAR%
    | @(?:[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*)@   # @VAR@ (autoconf)
    | %[sdr]                                  # printf slot
    | \{\w*\}                                  # {name} format slot
    | (.)\1*                # one repeated character
    """,
    re.VERBOSE,
)
_HEX = re.compile(r"[0-9a-fA-F]+")
_LETTERS_ONLY = re.compile(r"[A-Za-z_./-]+")  # gitleaks generic-api-key allowlist (+ paths)
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(\))?")  # self.token, cfg.key()


def is_placeholder(value: str) -> bool:
    """Whether ``value`` is a stand-in (``changeme``, ``${TOKEN}``, ``<your-key>``, ``xxxx``)."""
    lowered = value.lower()
    return any(p in lowered for p in _PLACEHOLDER_PARTS) or bool(_PLACEHOLDER_RE.fullmatch(value))


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------

#: Why a match is kept beyond its regex: ``check(value, match) -> keep``.
Check = Callable[[str, "re.Match[str]"], bool]


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    #: Lower-case strings, one of which the line must contain for the rule to run there.
    keywords: tuple[str, ...]
    #: The value to mask is group ``v`` (or ``u``, the unquoted alternative of generic rules).
    pattern: _LazyPattern
    min_entropy: float = 0.0
    check: Check | None = None
    #: The match starts where one of ``keywords`` starts, so it is tried there only (a window
    #: around the keyword is searched otherwise: OpenAI's "T3BlbkFJ" is mid-key).
    anchored: bool = True
    #: A secret spanning lines (a private key block): matched against the whole text.
    multiline: bool = False


class _LazyPattern:
    """A rule's regex, compiled on first use.

    Compiling every rule took ~45 ms of each CLI run's start-up, and a warm pack, which finds
    its masked texts in the derived cache, imports this module for ``RULES_VERSION`` alone.
    """

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str, flags: int) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def _re(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return self._compiled

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self._re().match(text, pos, endpos)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self._re().search(text, pos, endpos)

    def fullmatch(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self._re().fullmatch(text, pos, endpos)

    def finditer(
        self, text: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> Iterator[re.Match[str]]:
        return self._re().finditer(text, pos, endpos)


def _rx(pattern: str, flags: int = 0) -> _LazyPattern:
    return _LazyPattern(pattern, flags | re.ASCII)


# The end of a token in gitleaks: a quote, a space, ';', an escaped newline or the end.
_END = r"""(?=[`'"\s;,)\]}]|\\[nr]|$)"""


def _not_aws_example(value: str, _m: re.Match[str]) -> bool:
    return not value.endswith("EXAMPLE")  # gitleaks aws-access-token allowlist: AWS's docs


def _url_password_ok(value: str, _m: re.Match[str]) -> bool:
    return value.lower() not in {"pass", "pw", "pwd", "secret", "x", "xx", "xxx"} and not (
        is_placeholder(value)
    )


_SECRET_NAME_RE = _rx(r"passw(?:or)?d|passphrase|pwd|secret", re.IGNORECASE)
# Names that hold no secret though they contain a keyword (from gitleaks' generic allowlist).
_NOT_SECRET_NAME = _rx(
    r"""(?:csrf|public|pub|xsrf)[_.-]?(?:key|token)
      | (?:key|token|secret|passw(?:or)?d|pwd)[_.-]?
        (?:ids?|names?|length|size|file|path|dir|url|uri|type|kind|field|prompt|label|env|var
          |endpoint|header|param|count|len|index|pattern|regex|re|prefix|suffix|class|policy)\b""",
    re.IGNORECASE | re.VERBOSE,
)


def _full_name(m: re.Match[str]) -> str:
    """The whole name the keyword is part of: ``csrf_token`` for the keyword ``token``."""
    line, start = m.string, m.start("name")
    first = start
    while (
        first > 0 and start - first < 50 and (line[first - 1].isalnum() or line[first - 1] in "_.-")
    ):
        first -= 1
    return line[first : m.end("name")]


def _random_letters(value: str) -> bool:
    """Letters only, yet random: 20+, 30-70 % capitals (camelCase names have 10-15 %), 4 bits."""
    capitals = sum(c.isupper() for c in value) / len(value)
    return (
        len(value) >= 20
        and value.isalpha()
        and 0.3 <= capitals <= 0.7
        and shannon_entropy(value) >= 4.0
    )


_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_LINE_REST_EMPTY = re.compile(r"[ \t]*;?[ \t]*(?:(?:#|//).*)?\r?$")


def _unquoted_ok(value: str, m: re.Match[str]) -> bool:
    """An unquoted value: a literal in .env/YAML/INI/shell, an expression in code.

    A dotted name (``self.token``) is code. A bare identifier (``previousToken2``) is code too
    unless it ends its line, as values do in .env and YAML files (``TOKEN=ab12cd34ef56``).
    """
    if _DOTTED_NAME.fullmatch(value):
        return False
    if not _IDENTIFIER.fullmatch(value):
        return True
    line_end = m.string.find("\n", m.end())
    rest = m.string[m.end() : len(m.string) if line_end < 0 else line_end]
    return bool(_LINE_REST_EMPTY.fullmatch(rest))


def _generic_ok(value: str, m: re.Match[str]) -> bool:
    if len(value) < 8 or not value.isascii() or is_placeholder(value):
        return False
    if _NOT_SECRET_NAME.search(_full_name(m)):
        return False
    if _LETTERS_ONLY.fullmatch(value) and not _random_letters(value):
        return False
    if m.group("u") is not None and not _unquoted_ok(value, m):
        return False
    # Passwords are chosen by people: 8+ characters, 3.0 bits (e.g. "S3cr3tP@ss!" has 3.1).
    # Tokens are random: 3.5 bits like gitleaks; hex has 16 symbols only, so 3.0 bits for 16+
    # hex digits (random 32-digit hex tokens have 3.3 to 3.9).
    if _SECRET_NAME_RE.search(m.group("name")) or (len(value) >= 16 and _HEX.fullmatch(value)):
        return shannon_entropy(value) >= 3.0
    return shannon_entropy(value) >= 3.5


def _generic_kind(m: re.Match[str]) -> str:
    return (
        "password" if re.search(r"(?i)passw|pwd|passphrase", m.group("name")) else "generic-secret"
    )


# name keyword, rest of the name, closing quote/bracket, optional type annotation, operator,
# then a quoted value (v) or an unquoted one (u: .env, YAML, INI, shell, a URL's query: there
# it runs on over "&", masking more rather than leaking a password's tail after its "&").
_GENERIC = _rx(
    r"""(?P<name>(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_.-]?key|access[_.-]?key)
                 [\w.-]{0,30}?)
        [`'"]?\]?[ \t]*
        (?::[ \t]*[A-Za-z_][\w\[\], .|]{0,40}?[ \t]*(?==))?
        (?:=|:=|:|=>|\?=)[ \t]*
        (?:(?P<q>[`'"])(?P<v>[^`'"\s\\]{8,200})(?P=q)
          |(?P<u>[^\s`'"\\;,#(){}\[\]<>=&][^\s`'"\\;,#(){}\[\]<>]{7,199})(?=[\s`'";,]|$))""",
    re.IGNORECASE | re.VERBOSE,
)

_RULES: tuple[_Rule, ...] = (
    # Earlier rules win where matches overlap.
    _Rule(
        # Possessive "*+": the body starts at its first non-space, in every pass. No "--" in
        # the body: a BEGIN without its END stops at the next armor line, not 64 KiB later
        # (1,000 of them took 4.4 s, now 10 ms).
        "private-key",
        ("-----begin",),
        _rx(
            r"""-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE[ ]KEY(?:[ ]BLOCK)?-----(?:\s|\\n)*+
                (?P<v>(?:[^-]|-(?!-)){64,65536}?)(?:\s|\\n)*
                -----END[ A-Z0-9_-]{0,100}PRIVATE[ ]KEY(?:[ ]BLOCK)?-----""",
            re.IGNORECASE | re.VERBOSE,
        ),
        multiline=True,
    ),
    _Rule(
        "anthropic-admin-api-key",
        ("sk-ant-admin",),
        _rx(r"\b(?P<v>sk-ant-admin01-[A-Za-z0-9_-]{80,300})" + _END),
    ),
    _Rule(
        "anthropic-api-key",
        ("sk-ant-",),
        _rx(r"\b(?P<v>sk-ant-(?:api|oat|ort)\d\d-[A-Za-z0-9_-]{80,300})" + _END),
    ),
    _Rule(
        "openai-api-key",
        ("t3blbkfj", "sk-proj-", "sk-svcacct-", "sk-admin-"),
        _rx(
            r"""\b(?P<v>sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,300}
                 |sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})"""
            + _END,
            re.VERBOSE,
        ),
        min_entropy=3.0,
        anchored=False,
    ),
    _Rule("github-pat", ("ghp_",), _rx(r"\b(?P<v>ghp_[0-9A-Za-z]{36,251})\b"), 3.0),
    _Rule("github-oauth", ("gho_",), _rx(r"\b(?P<v>gho_[0-9A-Za-z]{36,251})\b"), 3.0),
    _Rule("github-app-token", ("ghu_", "ghs_"), _rx(r"\b(?P<v>gh[us]_[0-9A-Za-z]{36,251})\b"), 3.0),
    _Rule("github-refresh-token", ("ghr_",), _rx(r"\b(?P<v>ghr_[0-9A-Za-z]{36,251})\b"), 3.0),
    _Rule(
        "github-fine-grained-pat",
        ("github_pat_",),
        _rx(r"\b(?P<v>github_pat_\w{82,240})\b"),
        3.0,
    ),
    _Rule(
        "gitlab-pat",
        ("glpat-",),
        _rx(r"\b(?P<v>glpat-[\w-]{20,300}(?:\.[0-9a-z]{9})?)(?![\w-])"),
        3.0,
    ),
    _Rule(
        "slack-webhook-url",
        ("hooks.slack.com",),
        _rx(r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<v>[A-Za-z0-9+/]{43,120})"),
    ),
    _Rule(
        "slack-token",
        ("xox", "xapp-"),
        _rx(
            r"""\b(?P<v>xox[abeoprs]-(?:\d-)?[0-9A-Za-z][0-9A-Za-z-]{8,250}
                 |xoxe\.xox[bp]-\d-[A-Za-z0-9]{100,200}
                 |xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)(?![\w-])""",
            re.VERBOSE,
        ),
        2.0,
    ),
    _Rule(
        "stripe-access-token",
        ("sk_live_", "rk_live_", "sk_test_", "rk_test_", "sk_prod_", "rk_prod_"),
        _rx(r"\b(?P<v>[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,99})" + _END),
        2.0,
    ),
    _Rule("gcp-api-key", ("aiza",), _rx(r"\b(?P<v>AIza[\w-]{35})" + _END), 4.0),
    _Rule(
        "jwt",
        ("eyj",),
        _rx(
            r"\b(?P<v>ey[A-Za-z0-9]{17,}\.ey[A-Za-z0-9/\\_-]{17,}\.(?:[A-Za-z0-9/\\_-]{10,}={0,2})?)"
            + _END
        ),
        3.0,
    ),
    _Rule(
        "aws-access-key-id",
        ("akia", "asia", "abia", "acca", "a3t"),
        _rx(r"\b(?P<v>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b"),
        3.0,
        _not_aws_example,
    ),
    _Rule(
        "aws-secret-key",
        (
            "aws_secret",
            "aws-secret",
            "aws.secret",
            "awssecret",
            "secret_access_key",
            "secret-access-key",
            "secretaccesskey",
        ),
        _rx(
            r"""(?:aws[_.-]?secret|secret[_.-]?access[_.-]?key)[\w.-]{0,30}?[`'"]?\]?[ \t]*
                (?:=|:=|:|=>)[ \t]*[`'"]?(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])""",
            re.IGNORECASE | re.VERBOSE,
        ),
        3.5,
    ),
    _Rule(
        "url-password",
        ("://",),
        _rx(
            r"""\b[A-Za-z][A-Za-z0-9+.-]{0,20}://[^\s:/@`'"<>]{0,64}
                :(?P<v>[^\s/@`'"<>]{1,128})@(?=[\w\[])""",
            re.VERBOSE,
        ),
        check=_url_password_ok,
        anchored=False,
    ),
    _Rule(
        "generic-secret",  # or "password", by the name: see _generic_kind
        (
            "passw",
            "passphrase",
            "pwd",
            "secret",
            "token",
            "api_key",
            "apikey",
            "api-key",
            "api.key",
            "access_key",
            "accesskey",
            "access-key",
            "access.key",
        ),
        _GENERIC,
        check=_generic_ok,
    ),
)

#: Every prefilter keyword, lower case. A text that contains none of them (compared
#: case-insensitively) is returned unchanged, as the very same object.
KEYWORDS: tuple[str, ...] = tuple(sorted({k for rule in _RULES for k in rule.keywords}))


def _hides(found: str, other: str) -> bool:
    """Whether a match of ``found`` can hide one of ``other`` (or imply it).

    The automaton reports leftmost-longest matches without overlaps (5x faster than every
    overlapping match: 1.4 GB/s against 0.45 on the stdlib's bytes), so a keyword inside
    another one ("secret" in "aws_secret") or starting inside it ("a3t" + "token" in
    "a3token") is not reported; the line then runs the hidden keyword's rules too.
    """
    return other in found or any(other.startswith(found[i:]) for i in range(1, len(found)))


def _starts_in(found: str, rule: _Rule) -> tuple[int, ...]:
    """Offsets in the keyword ``found`` where a match of ``rule`` (anchored) can start."""
    return tuple(
        i
        for i in range(len(found))
        if any(found.startswith(k, i) or k.startswith(found[i:]) for k in rule.keywords)
    )


@dataclass(frozen=True, slots=True)
class _Prefilter:
    automaton: ahocorasick_rs.BytesAhoCorasick
    #: keyword index -> the rules a hit of it runs.
    rules_by_keyword: tuple[tuple[int, ...], ...]
    #: (keyword index, rule index) -> where in the keyword the rule's match can start.
    starts: dict[tuple[int, int], tuple[int, ...]]


@functools.cache
def _prefilter() -> _Prefilter:
    """Built on first use (~20 ms), like the patterns: see ``_LazyPattern``."""
    by_keyword = tuple(
        tuple(
            r
            for r, rule in enumerate(_RULES)
            if any(k == other or _hides(k, other) for other in rule.keywords)
        )
        for k in KEYWORDS
    )
    starts = {
        (k, r): _starts_in(KEYWORDS[k], _RULES[r])
        for k, rules in enumerate(by_keyword)
        for r in rules
        if _RULES[r].anchored
    }
    # Searched in the UTF-8 bytes, lowered by bytes.lower (ASCII only: every keyword is
    # ASCII), 3x faster than the str automaton, which converts to UTF-8 and back itself.
    automaton = ahocorasick_rs.BytesAhoCorasick(
        [k.encode() for k in KEYWORDS], matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
    )
    return _Prefilter(automaton, by_keyword, starts)


# ---------------------------------------------------------------------------------------------
# Masking
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Hit:
    #: The rule's index in ``_RULES``: where hits overlap, the lower one wins.
    rule: int
    start: int
    end: int
    kind: str
    replacement: str
    #: Where the reported line is taken: the value, or a private key's BEGIN line.
    anchor: int


# A match starts at most _BEFORE characters before its keyword (OpenAI's "T3BlbkFJ" sits 82
# characters into the key, a URL's "://" up to 21 after its start) and ends at most _AFTER after
# it (the generic rule: a 30-character name, a 40-character annotation, a 200-character value).
_BEFORE, _AFTER = 128, 1024


_LINE_ENDS = re.compile(r"\r?\n")
_MARKER_RE = re.compile(r"\[REDACTED [a-z0-9-]+\]")


def _in_marker(text: str, at: int) -> bool:
    """Whether ``text[at]`` is inside a marker: ``[REDACTED password] = ...`` names nothing."""
    i = text.rfind(_MARKER_PREFIX, max(0, at - 40), at + 1)
    if i < 0:
        return False
    m = _MARKER_RE.match(text, i)
    return m is not None and m.end() > at


def _keyword_hits(text: str) -> Iterable[tuple[int, int]]:
    """``(keyword index, character offset)`` of each keyword in ``text``, in text order."""
    data = text.encode("utf-8", "surrogatepass")
    matches = _prefilter().automaton.find_matches_as_indexes(data.lower())
    if len(data) == len(text):  # ASCII: byte offsets are character offsets
        return [(k, at) for k, at, _ in matches]
    # A keyword starts on an ASCII byte, so on a character: decode the bytes in between.
    hits = []
    chars = prev = 0
    for k, at, _ in matches:
        chars += len(data[prev:at].decode("utf-8", "surrogatepass"))
        prev = at
        hits.append((k, chars))
    return hits


def _value_span(m: re.Match[str]) -> tuple[int, int] | None:
    for group in ("v", "u"):
        if group in m.re.groupindex and m.group(group) is not None:
            return m.span(group)
    return None


def _accept(rule: _Rule, m: re.Match[str], value: str) -> bool:
    if value.startswith(_MARKER_PREFIX):
        return False
    if rule.min_entropy and shannon_entropy(value) < rule.min_entropy:
        return False
    return rule.check is None or rule.check(value, m)


def _hit(r: int, m: re.Match[str] | None) -> _Hit | None:
    """The hit of rule ``r`` for its match ``m``, if the value passes the rule's checks."""
    if m is None or _in_marker(m.string, m.start()):
        return None
    rule = _RULES[r]
    span = _value_span(m)
    if span is None or not _accept(rule, m, m.string[span[0] : span[1]]):
        return None
    kind = _generic_kind(m) if rule.pattern is _GENERIC else rule.kind
    return _Hit(r, *span, kind, marker(kind), span[0])


def _block_hit(text: str, at: int, r: int) -> _Hit | None:
    """A multi-line secret (a private key block) starting at ``at``, if there is one."""
    rule = _RULES[r]
    m = rule.pattern.match(text, at)
    if m is None or _in_marker(text, at):
        return None
    value = m.group("v")
    if not _accept(rule, m, value):
        return None
    # One marker, then the body's line ends ("\n" or "\r\n" as they were): the masked text
    # keeps every line where it was.
    body = marker(rule.kind) + "".join(_LINE_ENDS.findall(value))
    return _Hit(r, *m.span("v"), rule.kind, body, at)


def _find_hits(text: str) -> list[_Hit]:
    # Most rules are tried exactly where their keyword starts; the others run in a window
    # around it, within its line (a minified file is one line of megabytes). Keywords come in
    # text order, so each line is found once.
    tried: set[tuple[int, int]] = set()
    hits: list[_Hit | None] = []
    windows: list[tuple[int, int, set[int]]] = []
    line_start = line_end = -1
    prefilter = _prefilter()
    for k, at in _keyword_hits(text):
        if at > line_end:
            line_start = text.rfind("\n", 0, at) + 1
            line_end = text.find("\n", at)
            line_end = len(text) if line_end < 0 else line_end
        unanchored: set[int] = set()
        for r in prefilter.rules_by_keyword[k]:
            rule = _RULES[r]
            if not rule.anchored:
                unanchored.add(r)
                continue
            for offset in prefilter.starts[k, r]:
                if (r, at + offset) in tried:
                    continue
                tried.add((r, at + offset))
                if rule.multiline:
                    hits.append(_block_hit(text, at + offset, r))
                else:
                    hits.append(_hit(r, rule.pattern.match(text, at + offset, line_end)))
        if not unanchored:
            continue
        start, end = max(line_start, at - _BEFORE), min(line_end, at + _AFTER)
        if windows and start <= windows[-1][1]:
            last = windows[-1]
            windows[-1] = (last[0], max(last[1], end), last[2] | unanchored)
        else:
            windows.append((start, end, unanchored))
    for start, end, rules in windows:
        for r in sorted(rules):
            hits += (_hit(r, m) for m in _RULES[r].pattern.finditer(text, start, end))
    found = [h for h in hits if h is not None]
    # Where matches overlap, the earlier rule wins, then the earlier, longer match.
    found.sort(key=lambda h: (h.rule, h.start, -h.end))
    starts: list[int] = []  # of the kept hits, sorted; they never overlap
    kept: list[_Hit] = []
    for hit in found:
        i = bisect.bisect_right(starts, hit.start)
        if (i == 0 or kept[i - 1].end <= hit.start) and (i == len(kept) or hit.end <= starts[i]):
            starts.insert(i, hit.start)
            kept.insert(i, hit)
    return kept


def mask_secrets(text: str) -> tuple[str, list[Redaction]]:
    """Replace each secret's value in ``text`` by ``[REDACTED <kind>]``.

    Returns the masked text (``text`` itself when nothing was found) and one ``Redaction`` per
    masked value, in text order. Newlines are never added or removed (see the module docstring).
    """
    hits = _find_hits(text)
    if not hits:
        return text, []
    parts: list[str] = []
    redactions: list[Redaction] = []
    pos = 0
    line, counted_to = 1, 0  # line == 1 + newlines in text[:counted_to]
    for hit in hits:
        if hit.anchor >= counted_to:
            line += text.count("\n", counted_to, hit.anchor)
        else:
            line -= text.count("\n", hit.anchor, counted_to)
        counted_to = hit.anchor
        redactions.append(Redaction(line, hit.kind))
        parts.append(text[pos : hit.start])
        parts.append(hit.replacement)
        pos = hit.end
    parts.append(text[pos:])
    return "".join(parts), redactions
