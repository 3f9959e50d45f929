"""Secret masking: each fake secret of the corpus masked with its kind and line; clean code kept."""

from __future__ import annotations

import random
from dataclasses import FrozenInstanceError

import pytest

from secretshapes import CLEAN_LINES, CONTEXTS, KINDS, make_shape, private_key_block
from sourcepacker.secrets import KEYWORDS, RULES_VERSION, Redaction, marker, mask_secrets

SHAPES_PER_KIND = 4


def corpus(context: str, seed: int) -> tuple[str, str, list[Redaction]]:
    """A file of ``context`` with every kind several times between clean lines.

    Returns the text, the expected masked text and the expected redactions.
    """
    rng = random.Random(seed)
    lines: list[str] = []
    masked: list[str] = []
    expected: list[Redaction] = []
    for kind in KINDS:
        for _ in range(SHAPES_PER_KIND):
            shape = make_shape(kind, rng)
            template = rng.choice(CONTEXTS[context])
            line = template.format(n=rng.choice(shape.names), v=shape.text)
            clean = rng.choice(CLEAN_LINES)
            lines += [clean, line]
            masked += [clean, line.replace(shape.secret, marker(kind), 1)]
            expected.append(Redaction(len(lines), kind))
    return "\n".join(lines) + "\n", "\n".join(masked) + "\n", expected


@pytest.mark.parametrize("context", sorted(CONTEXTS))
@pytest.mark.parametrize("seed", range(5))
def test_every_secret_of_the_corpus_is_masked_with_its_kind_and_line(
    context: str, seed: int
) -> None:
    text, want_text, want = corpus(context, seed)
    got_text, got = mask_secrets(text)
    missed = sorted(set(want) - set(got), key=lambda r: r.line)
    extra = sorted(set(got) - set(want), key=lambda r: r.line)
    lines = text.split("\n")
    assert not missed, [(r, lines[r.line - 1]) for r in missed]
    assert not extra, [(r, lines[r.line - 1]) for r in extra]
    assert got == want
    assert got_text == want_text


def test_names_quotes_and_code_around_the_value_stay() -> None:
    text = 'AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Hd3mK2L"  # prod\n'
    assert mask_secrets(text) == (
        'AWS_SECRET = "[REDACTED aws-secret-key]"  # prod\n',
        [Redaction(1, "aws-secret-key")],
    )


def test_only_the_password_of_a_url_is_masked() -> None:
    text = "DATABASE_URL=postgres://app:Zq8!xW2pLm@db.internal:5432/app\n"
    masked, found = mask_secrets(text)
    assert masked == "DATABASE_URL=postgres://app:[REDACTED url-password]@db.internal:5432/app\n"
    assert found == [Redaction(1, "url-password")]


@pytest.mark.parametrize(
    "label", ["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY",
              "ENCRYPTED PRIVATE KEY", "PGP PRIVATE KEY BLOCK"],
)  # fmt: skip
def test_a_private_key_block_becomes_one_marker_and_keeps_its_lines(label: str) -> None:
    block, masked_block = private_key_block(random.Random(label), label, body_lines=12)
    text = f"# deploy key\nKEY = '''\n{block}\n'''\nprint(KEY)\n"
    masked, found = mask_secrets(text)
    assert masked == f"# deploy key\nKEY = '''\n{masked_block}\n'''\nprint(KEY)\n"
    assert masked.count("\n") == text.count("\n")
    assert found == [Redaction(3, "private-key")]  # the BEGIN line


def test_a_private_key_block_with_windows_line_ends_is_masked_once() -> None:
    block, masked_block = private_key_block(random.Random(7), "RSA PRIVATE KEY", body_lines=25)
    text = block.replace("\n", "\r\n") + "\r\n"
    masked, found = mask_secrets(text)
    assert masked == masked_block.replace("\n", "\r\n") + "\r\n"
    assert found == [Redaction(1, "private-key")]
    assert mask_secrets(masked) == (masked, [])


def test_a_private_key_in_a_json_string_with_escaped_newlines() -> None:
    body = "\\n".join(["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"] * 4)
    text = (
        '{\n  "type": "service_account",\n'
        f'  "private_key": "-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n",\n'
        '  "client_email": "svc@proj.iam.gserviceaccount.com"\n}\n'
    )
    masked, found = mask_secrets(text)
    assert found == [Redaction(3, "private-key")]
    assert (
        '  "private_key": "-----BEGIN PRIVATE KEY-----\\n[REDACTED private-key]\\n'
        '-----END PRIVATE KEY-----\\n",\n' in masked
    )


def test_a_token_longer_than_its_usual_format_is_masked_whole() -> None:
    token = "ghp_" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5" + "Zz09"
    assert mask_secrets(f"t = '{token}'\n")[0] == "t = '[REDACTED github-pat]'\n"


@pytest.mark.parametrize("line", CLEAN_LINES)
def test_clean_lines_are_returned_as_the_same_object(line: str) -> None:
    text = line + "\n"
    masked, found = mask_secrets(text)
    assert found == []
    assert masked is text


def test_text_without_any_keyword_is_the_same_object() -> None:
    text = "def add(a, b):\n    return a + b\n" * 1000
    assert not any(k in text.lower() for k in KEYWORDS)
    assert mask_secrets(text)[0] is text


def test_masking_twice_changes_nothing_more() -> None:
    for context in CONTEXTS:
        text, _, want = corpus(context, 99)
        once, found = mask_secrets(text)
        assert found == want
        assert mask_secrets(once) == (once, [])


def test_non_ascii_text_and_lines_around_it() -> None:
    # "İ".lower() is two characters: the prefilter must still point at the right line.
    text = "# İİİ ünïcödé ✓\nİ = 'x'\ntoken = 'Zq8xW2pLmK4vB7nR1sT5'\n"
    masked, found = mask_secrets(text)
    assert found == [Redaction(3, "generic-secret")]
    assert masked == "# İİİ ünïcödé ✓\nİ = 'x'\ntoken = '[REDACTED generic-secret]'\n"


def test_one_long_line_with_many_keywords() -> None:
    # Minified code: one line, thousands of keyword hits, looked up once.
    text = "var token=a.token;" * 20_000 + "var password='Zq8!xW2pLm';"
    masked, found = mask_secrets(text)
    assert found == [Redaction(1, "password")]
    assert masked.endswith("var password='[REDACTED password]';")


def test_windows_line_endings_keep_the_carriage_return() -> None:
    text = "A=1\r\nGITHUB_TOKEN=ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5\r\nB=2\r\n"
    masked, found = mask_secrets(text)
    assert masked == "A=1\r\nGITHUB_TOKEN=[REDACTED github-pat]\r\nB=2\r\n"
    assert found == [Redaction(2, "github-pat")]


def test_the_api() -> None:
    assert isinstance(RULES_VERSION, str) and RULES_VERSION
    r = Redaction(3, "jwt")
    with pytest.raises(FrozenInstanceError):
        r.line = 4  # type: ignore[misc]
    assert mask_secrets("") == ("", [])


@pytest.mark.parametrize(
    ("line", "masked", "kind"),
    [
        ('token: str = "Zq8xW2pLmK4vB7nR1sT5"', 'token: str = "[REDACTED generic-secret]"',
         "generic-secret"),
        ('config["api_key"] = "a1b2c3d4e5f6a7b8c9d0e1f2"',
         'config["api_key"] = "[REDACTED generic-secret]"', "generic-secret"),
        ("mysql --user=app --password=Zq8!xW2pLm db", "mysql --user=app "
         "--password=[REDACTED password] db", "password"),
        ("'db_password' => 'Zq8!xW2pLm',", "'db_password' => '[REDACTED password]',", "password"),
        ('Password: "s3cr3t-V4lue!",', 'Password: "[REDACTED password]",', "password"),
        ("PASSWORD := Zq8!xW2pLm", "PASSWORD := [REDACTED password]", "password"),
        ("curl 'https://api.x.io/v1?access_token=Zq8xW2pLmK4vB7nR1sT5&page=2'",
         "curl 'https://api.x.io/v1?access_token=[REDACTED generic-secret]'",
         "generic-secret"),
        ("redis://:Zq8xW2pLmK4v@cache:6379/0", "redis://:[REDACTED url-password]@cache:6379/0",
         "url-password"),
    ],
)  # fmt: skip
def test_more_ways_of_assigning_a_secret(line: str, masked: str, kind: str) -> None:
    assert mask_secrets(line + "\n") == (masked + "\n", [Redaction(1, kind)])


@pytest.mark.parametrize(
    "line",
    [
        "secretName: my-app-secret-v2",
        '"tokenizer": "tokenizers/punkt/english.pickle"',
        'TOKEN_URL = "https://oauth2.googleapis.com/token"',
        "SECRET_KEY = get_random_secret_key()",
        'API_KEY_HEADER = "X-Api-Key"',
        "--token-color: #ff0000;",
        "pwd = os.getcwd()",
        'token: "${{ secrets.GITHUB_TOKEN }}"',
        'headers = {"Authorization": f"Bearer {token}"}',
        'password_help = "Your password must contain 8 characters"',
    ],
)
def test_lines_that_look_like_secrets_but_are_not(line: str) -> None:
    assert mask_secrets(line) == (line, [])


def test_an_encrypted_pem_key_with_headers_is_masked_whole() -> None:
    text = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "Proc-Type: 4,ENCRYPTED\n"
        "DEK-Info: AES-128-CBC,3F1E2D4C5B6A79880716253443526170\n"
        "\n"
        "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi4kS8wfvUk6l3Wx6fX8Z7y2nEq\n"
        "-----END RSA PRIVATE KEY-----\n"
    )
    assert mask_secrets(text) == (
        "-----BEGIN RSA PRIVATE KEY-----\n[REDACTED private-key]\n\n\n\n"
        "-----END RSA PRIVATE KEY-----\n",
        [Redaction(1, "private-key")],
    )


def test_a_key_block_without_its_end_is_left_as_it_is() -> None:
    # As in gitleaks: the END line bounds the block. Each BEGIN stops at the next armor line.
    text = ("-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 64 + "\n") * 200
    assert mask_secrets(text) == (text, [])
