"""Fake but well-formed secrets of every kind ``sourcepacker.secrets`` masks, and clean lines.

Values are random (from a seeded ``random.Random``) so that entropy checks see what real,
machine-made secrets look like; none of them is a real credential.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass

from sourcepacker.secrets import marker, shannon_entropy

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
B32 = string.ascii_uppercase + "234567"
HEX = "0123456789abcdef"


def pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass(frozen=True)
class Shape:
    """One secret: what a file holds (``text``) and the part of it that must be masked."""

    kind: str
    text: str
    secret: str
    #: Names it is assigned to in the contexts (some neutral, some suggestive).
    names: tuple[str, ...] = ("value", "setting")


def _password(rng: random.Random) -> str:
    while True:
        value = pick(rng, ALNUM + "!$%^*~+-", rng.randint(10, 20))
        if shannon_entropy(value) >= 3.2 and any(c.isdigit() for c in value):
            return value


def make_shape(kind: str, rng: random.Random) -> Shape:
    if kind == "aws-access-key-id":
        v = rng.choice(["AKIA", "ASIA"]) + pick(rng, B32, 16)
        return Shape(kind, v, v, ("aws_access_key_id", "AWS_ACCESS_KEY_ID", "value"))
    if kind == "aws-secret-key":
        v = pick(rng, ALNUM + "/+", 40)
        return Shape(kind, v, v, ("aws_secret_access_key", "AWS_SECRET", "AwsSecretAccessKey"))
    if kind in ("github-pat", "github-oauth", "github-refresh-token"):
        prefix = {"github-pat": "ghp_", "github-oauth": "gho_", "github-refresh-token": "ghr_"}
        v = prefix[kind] + pick(rng, ALNUM, 36)
        return Shape(kind, v, v, ("GITHUB_TOKEN", "value", "gh"))
    if kind == "github-app-token":
        v = rng.choice(["ghu_", "ghs_"]) + pick(rng, ALNUM, 36)
        return Shape(kind, v, v)
    if kind == "github-fine-grained-pat":
        v = "github_pat_" + pick(rng, ALNUM, 22) + "_" + pick(rng, ALNUM, 59)
        return Shape(kind, v, v, ("GH_TOKEN", "value"))
    if kind == "gitlab-pat":
        v = "glpat-" + pick(rng, URLSAFE, 20)
        if rng.random() < 0.5:  # the routable format
            v = "glpat-" + pick(rng, URLSAFE, 27) + "." + pick(rng, HEX, 9)
        return Shape(kind, v, v, ("GITLAB_TOKEN", "value"))
    if kind == "slack-token":
        d = lambda n: pick(rng, string.digits, n)  # noqa: E731
        v = rng.choice(
            [
                f"xoxb-{d(11)}-{d(12)}-{pick(rng, ALNUM, 24)}",
                f"xoxp-{d(11)}-{d(11)}-{d(12)}-{pick(rng, HEX, 32)}",
                f"xapp-1-A{pick(rng, string.ascii_uppercase + string.digits, 10)}-{d(13)}-"
                + pick(rng, HEX, 64),
            ]
        )
        return Shape(kind, v, v, ("SLACK_BOT_TOKEN", "value"))
    if kind == "slack-webhook-url":
        path = f"T{pick(rng, B32, 8)}/B{pick(rng, B32, 8)}/{pick(rng, ALNUM, 24)}"
        return Shape(kind, f"https://hooks.slack.com/services/{path}", path, ("webhook",))
    if kind == "stripe-access-token":
        v = rng.choice(["sk_live_", "rk_live_", "sk_test_"]) + pick(rng, ALNUM, rng.randint(24, 99))
        return Shape(kind, v, v, ("STRIPE_KEY", "value"))
    if kind == "openai-api-key":
        v = rng.choice(
            [
                f"sk-proj-{pick(rng, URLSAFE, 74)}T3BlbkFJ{pick(rng, URLSAFE, 74)}",
                f"sk-svcacct-{pick(rng, URLSAFE, 58)}T3BlbkFJ{pick(rng, URLSAFE, 58)}",
                f"sk-{pick(rng, ALNUM, 20)}T3BlbkFJ{pick(rng, ALNUM, 20)}",
            ]
        )
        return Shape(kind, v, v, ("OPENAI_API_KEY", "value"))
    if kind == "anthropic-api-key":
        v = f"sk-ant-api03-{pick(rng, URLSAFE, 93)}AA"
        return Shape(kind, v, v, ("ANTHROPIC_API_KEY", "value"))
    if kind == "anthropic-admin-api-key":
        v = f"sk-ant-admin01-{pick(rng, URLSAFE, 93)}AA"
        return Shape(kind, v, v, ("ANTHROPIC_ADMIN_KEY", "value"))
    if kind == "gcp-api-key":
        v = "AIza" + pick(rng, URLSAFE, 35)
        return Shape(kind, v, v, ("GOOGLE_API_KEY", "value"))
    if kind == "jwt":
        head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {"sub": pick(rng, string.digits, 10), "name": pick(rng, string.ascii_letters, 8)}
        body = b64url(json.dumps(claims).encode())
        v = f"{head}.{body}.{b64url(rng.randbytes(32))}"
        return Shape(kind, v, v, ("session", "value"))
    if kind == "url-password":
        pw = _password(rng)
        scheme = rng.choice(["postgres", "mysql", "redis", "amqp", "https", "mongodb+srv"])
        url = f"{scheme}://{pick(rng, string.ascii_lowercase, 6)}:{pw}@db.internal:5432/app"
        return Shape(kind, url, pw, ("DATABASE_URL", "broker_url"))
    if kind == "password":
        pw = _password(rng)
        return Shape(kind, pw, pw, ("password", "DB_PASSWORD", "smtp_passwd", "passphrase"))
    if kind == "generic-secret":
        v = rng.choice([pick(rng, HEX, 32), pick(rng, ALNUM, 40), pick(rng, URLSAFE, 28)])
        names = ("api_key", "client_secret", "SECRET_KEY", "access_token", "apiKey", "authToken")
        return Shape(kind, v, v, names)
    raise ValueError(kind)


#: Single-line kinds (private keys are blocks: see ``private_key_block``).
KINDS = (
    "aws-access-key-id", "aws-secret-key", "github-pat", "github-oauth", "github-app-token",
    "github-refresh-token", "github-fine-grained-pat", "gitlab-pat", "slack-token",
    "slack-webhook-url", "stripe-access-token", "openai-api-key", "anthropic-api-key",
    "anthropic-admin-api-key", "gcp-api-key", "jwt", "url-password", "password", "generic-secret",
)  # fmt: skip

#: How a file assigns a value: one template per context, ``{n}`` the name, ``{v}`` the value.
CONTEXTS = {
    "py": ['{n} = "{v}"', "{n} = '{v}'", 'client = connect({n}="{v}", timeout=30)'],
    "env": ["{n}={v}", "export {n}={v}", '{n}="{v}"'],
    "json": ['  "{n}": "{v}",', '{{"{n}": "{v}"}}'],
    "yaml": ["  {n}: {v}", '  {n}: "{v}"'],
}


def private_key_block(rng: random.Random, label: str, body_lines: int) -> tuple[str, str]:
    """A PEM/OpenSSH/PGP private key block and its masked form (same number of lines)."""
    body = [base64.b64encode(rng.randbytes(48)).decode() for _ in range(body_lines)]
    head, foot = f"-----BEGIN {label}-----", f"-----END {label}-----"
    text = "\n".join([head, *body, foot])
    masked = "\n".join([head, marker("private-key"), *[""] * (body_lines - 1), foot])
    return text, masked


#: Clean lines, many with a keyword of the prefilter in them: none may be masked.
CLEAN_LINES = (
    "import os",
    "tokens = tokenize(source)",
    "if password is None:",
    'password = os.environ["DB_PASSWORD"]',
    'token = os.getenv("GITHUB_TOKEN")',
    "api_key = settings.api_key",
    "self.secret = secret",
    'password = ""',
    'password = "changeme"',
    'api_key = "<your-api-key>"',
    'api_key = "YOUR_API_KEY_HERE"',
    'token = "${GITHUB_TOKEN}"',
    "PASSWORD=",
    "SECRET_KEY=${SECRET_KEY}",
    'password: "{{ vault_db_password }}"',
    "secret = 'xxx'",
    "secret: '********'",
    "token = get_token(session, scope='repo')",
    'csrf_token = "a8f5f167f44f4964e6c998dee827110c"',
    "max_tokens = 4096",
    "token_type: Bearer",
    "password_field = 'password_confirmation'",
    "# see https://docs.python.org/3/library/secrets.html",
    "url = 'postgres://user:password@localhost/db'",
    "dsn = f'postgres://{user}:{password}@{host}/db'",
    "aws_access_key_id = 'AKIAIOSFODNN7EXAMPLE'",
    "-----BEGIN CERTIFICATE-----",
    "key = cache_key(path, mtime)",
    "return {'token': token, 'expires': expires}",
    "def check_password(self, raw_password: str) -> bool:",
    "",
    "    pass",
)
