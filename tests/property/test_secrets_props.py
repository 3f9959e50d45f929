"""Properties of secret masking, on documents with planted secrets and on arbitrary text."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from secretshapes import CLEAN_LINES, CONTEXTS, KINDS, make_shape, private_key_block
from sourcepacker.secrets import KEYWORDS, Redaction, marker, mask_secrets
from sourcepacker.vocab import counter, get_encoding

PROPS = settings(max_examples=150, deadline=None)
LABELS = ["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY"]


def has_keyword(text: str) -> bool:
    lowered = text.lower()
    return any(k in lowered for k in KEYWORDS)


#: One line of text with no keyword (nor newline) in it: no secret can start there.
plain_lines = st.text(st.characters(exclude_characters="\n"), max_size=60).filter(
    lambda s: not has_keyword(s)
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, str, list[Redaction]]:
    """Clean lines, arbitrary lines and planted secrets (one per line, or a key block).

    Returns the text, its expected masked form and the expected redactions.
    """
    rng = random.Random(draw(st.integers(0, 2**32)))  # random values: real entropy
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    context = draw(st.sampled_from(sorted(CONTEXTS)))
    lines: list[str] = []
    masked: list[str] = []
    want: list[Redaction] = []
    items = st.one_of(
        st.sampled_from(CLEAN_LINES), plain_lines, st.sampled_from(KINDS), st.sampled_from(LABELS)
    )
    for item in draw(st.lists(items, max_size=25)):
        if item in KINDS:
            shape = make_shape(item, rng)
            template = rng.choice(CONTEXTS[context])
            line = template.format(n=rng.choice(shape.names), v=shape.text)
            want.append(Redaction(len(lines) + 1, item))
            lines.append(line)
            masked.append(line.replace(shape.secret, marker(item), 1))
        elif item in LABELS:
            block, masked_block = private_key_block(rng, item, rng.randint(1, 30))
            want.append(Redaction(len(lines) + 1, "private-key"))
            lines += block.split("\n")
            masked += masked_block.split("\n")
        else:
            lines.append(item)
            masked.append(item)
    end = draw(st.sampled_from(["", newline]))
    return newline.join(lines) + end, newline.join(masked) + end, want


#: Text made of the pieces secrets and their contexts are made of, glued at random.
FRAGMENTS = [
    "password", "token", "secret", "api_key", "AWS_SECRET", " = ", "=", ": ", ":", '"', "'",
    "\n", "\r\n", " ", "[REDACTED password]", "[REDACTED aws-secret-key]", "ghp_", "xoxb-",
    "sk_live_", "AKIA", "AIza", "eyJ", ".", "://", "@", "user:", "-----BEGIN PRIVATE KEY-----",
    "-----END PRIVATE KEY-----", "\\n", "Zq8xW2pLmK4vB7nR1sT5", "a1b2c3d4e5f6a7b8c9d0",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Hd3mK2L", "ÄİçΩ", "\t",
]  # fmt: skip
fragment_texts = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=40
).map("".join)


@PROPS
@given(documents())
def test_every_planted_secret_is_masked_with_its_kind_and_line(
    doc: tuple[str, str, list[Redaction]],
) -> None:
    text, want_text, want = doc
    assert mask_secrets(text) == (want_text, want)


@PROPS
@given(st.one_of(documents().map(lambda d: d[0]), fragment_texts, st.text()))
def test_masking_is_idempotent_and_keeps_every_line(text: str) -> None:
    masked, found = mask_secrets(text)
    assert mask_secrets(masked) == (masked, [])
    assert masked.count("\n") == text.count("\n")
    assert [r.line for r in found] == sorted(r.line for r in found)
    assert all(1 <= r.line <= text.count("\n") + 1 for r in found)
    # Masking touches the lines of its redactions (and a key block's body) only.
    touched = {r.line for r in found}
    for n, (before, after) in enumerate(zip(text.split("\n"), masked.split("\n"), strict=True)):
        if before != after:
            assert n + 1 in touched or any(r.kind == "private-key" for r in found)


@PROPS
@given(st.one_of(plain_lines, st.lists(plain_lines).map("\n".join), st.text()))
def test_text_without_a_keyword_is_returned_as_it_is(text: str) -> None:
    if has_keyword(text):
        return
    masked, found = mask_secrets(text)
    assert masked is text
    assert found == []


@settings(max_examples=40, deadline=None)
@given(documents())
def test_a_caller_counts_the_masked_text(doc: tuple[str, str, list[Redaction]]) -> None:
    # mask_secrets reports no count: what the user gets is the masked text, so its count is
    # tiktoken's count of that text, a pure function of (text, RULES_VERSION, encoding) that a
    # cache may keep. The unmasked count is no substitute once anything was masked.
    text, want_text, _ = doc
    masked, found = mask_secrets(text)
    assert mask_secrets(text)[0] == masked  # deterministic: cacheable by the input's hash
    count = counter("o200k_base")
    assert count(masked) == len(get_encoding("o200k_base").encode_ordinary(want_text))
    if found:
        assert masked != text
        for r in found:
            assert marker(r.kind) in masked
