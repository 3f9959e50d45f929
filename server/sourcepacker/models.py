"""A small shipped table of current models: context window and the encoding to count with.

``--model NAME`` takes the budget (the context window) and the encoding from here. Only OpenAI
publishes its tokenizers in tiktoken, so only OpenAI rows are exact; every other row counts
with an OpenAI encoding and carries a ``note`` that the output prints as it is: the count is an
approximation of what that model's own tokenizer gives (typically within ~10-20% on code).

Context windows are the providers' published figures (input + output), as of late 2025.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MODELS", "ModelInfo", "find_model"]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    provider: str
    context_window: int
    encoding: str
    #: Empty when the count is exact for this model; otherwise what to tell the user.
    note: str = ""

    @property
    def exact(self) -> bool:
        return not self.note


def _approx(provider: str) -> str:
    return (
        f"approximate: {provider}'s tokenizer is not available offline; "
        "counted with o200k_base, the model's own count may differ"
    )


_ANTHROPIC, _GOOGLE = _approx("Anthropic"), _approx("Google")
_META, _QWEN = _approx("Meta"), _approx("Qwen")
_DEEPSEEK, _MISTRAL = _approx("DeepSeek"), _approx("Mistral")

MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("gpt-5", "OpenAI", 400_000, "o200k_base"),
    ModelInfo("gpt-5-mini", "OpenAI", 400_000, "o200k_base"),
    ModelInfo("gpt-4.1", "OpenAI", 1_047_576, "o200k_base"),
    ModelInfo("gpt-4.1-mini", "OpenAI", 1_047_576, "o200k_base"),
    ModelInfo("gpt-4o", "OpenAI", 128_000, "o200k_base"),
    ModelInfo("gpt-4o-mini", "OpenAI", 128_000, "o200k_base"),
    ModelInfo("o1", "OpenAI", 200_000, "o200k_base"),
    ModelInfo("o3", "OpenAI", 200_000, "o200k_base"),
    ModelInfo("o4-mini", "OpenAI", 200_000, "o200k_base"),
    ModelInfo("gpt-oss-120b", "OpenAI", 131_072, "o200k_harmony"),
    ModelInfo("gpt-4-turbo", "OpenAI", 128_000, "cl100k_base"),
    ModelInfo("gpt-4", "OpenAI", 8_192, "cl100k_base"),
    ModelInfo("gpt-3.5-turbo", "OpenAI", 16_385, "cl100k_base"),
    ModelInfo("claude-opus-4", "Anthropic", 200_000, "o200k_base", _ANTHROPIC),
    ModelInfo("claude-sonnet-4.5", "Anthropic", 200_000, "o200k_base", _ANTHROPIC),
    ModelInfo("claude-sonnet-4", "Anthropic", 200_000, "o200k_base", _ANTHROPIC),
    ModelInfo("claude-haiku-4.5", "Anthropic", 200_000, "o200k_base", _ANTHROPIC),
    ModelInfo("claude-3.5-haiku", "Anthropic", 200_000, "o200k_base", _ANTHROPIC),
    ModelInfo("gemini-2.5-pro", "Google", 1_048_576, "o200k_base", _GOOGLE),
    ModelInfo("gemini-2.5-flash", "Google", 1_048_576, "o200k_base", _GOOGLE),
    ModelInfo("llama-3.3-70b", "Meta", 131_072, "o200k_base", _META),
    ModelInfo("llama-4-maverick", "Meta", 1_048_576, "o200k_base", _META),
    ModelInfo("qwen3-coder", "Qwen", 262_144, "o200k_base", _QWEN),
    ModelInfo("qwen2.5-coder-32b", "Qwen", 131_072, "o200k_base", _QWEN),
    ModelInfo("deepseek-v3", "DeepSeek", 131_072, "o200k_base", _DEEPSEEK),
    ModelInfo("deepseek-r1", "DeepSeek", 131_072, "o200k_base", _DEEPSEEK),
    ModelInfo("mistral-large", "Mistral", 131_072, "o200k_base", _MISTRAL),
    ModelInfo("codestral", "Mistral", 262_144, "o200k_base", _MISTRAL),
)

_BY_NAME = {m.name: m for m in MODELS}
#: Names people also type for the same rows.
_ALIASES = {
    "claude": "claude-sonnet-4.5",
    "claude-opus": "claude-opus-4",
    "claude-sonnet": "claude-sonnet-4.5",
    "claude-haiku": "claude-haiku-4.5",
    "gemini": "gemini-2.5-pro",
    "gpt-oss": "gpt-oss-120b",
    "llama": "llama-3.3-70b",
    "qwen": "qwen3-coder",
    "deepseek": "deepseek-v3",
    "mistral": "mistral-large",
}


def find_model(name: str) -> ModelInfo | None:
    """The row for ``name`` (case-insensitive; a few short aliases); None when unknown."""
    key = name.strip().lower()
    return _BY_NAME.get(_ALIASES.get(key, key))


def model_names() -> str:
    return ", ".join(m.name for m in MODELS)
