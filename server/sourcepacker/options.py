"""One definition of a pack: the options the command line, the daemon's ``pack`` and its
``totals`` share, so the number the status bar shows is the number of tokens Copy produces.

Selection (which files) is not here: paths, ``--changed``, ``--stdin`` and profiles choose the
files; these options say how the chosen files become a prompt and what it may cost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .pack import FORMATS

__all__ = ["DEFAULT_INSTRUCTIONS", "PackOptions"]

#: The workspace's default instructions, used when a pack names none.
DEFAULT_INSTRUCTIONS = ".sourcepacker/instructions.md"


@dataclass(frozen=True, slots=True)
class PackOptions:
    format: str = "xml"
    #: Start with a directory tree of the packed files.
    tree: bool = False
    #: Text placed at the top of the prompt in the format's own wrapper; None: none.
    instructions: str | None = None
    #: Names of :class:`sourcepacker.transforms.Transform`, applied to each file.
    transforms: tuple[str, ...] = ()
    #: Replace each secret's value by ``[REDACTED <kind>]`` (see :mod:`sourcepacker.secrets`).
    mask_secrets: bool = True
    #: Add ``git diff HEAD`` of the packed files (working tree and index).
    diff: bool = False
    #: Add the last N commit messages (0: none).
    log: int = 0
    #: Budget in tokens (a model's context window, or given); None: no budget.
    budget: int | None = None
    #: Model the budget came from (for messages and its approximation note).
    model: str | None = None
    #: Cut the prompt into parts of at most this many tokens each; None: one prompt.
    split_tokens: int | None = None
    #: Pack only files added or changed since the last pack of this workspace.
    since_last: bool = False

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format: unknown format {self.format!r}; one of {', '.join(FORMATS)}")
        if self.log < 0:
            raise ValueError("log: expected a number of commits >= 0")
        for name, value in (("budget", self.budget), ("split_tokens", self.split_tokens)):
            if value is not None and value < 1:
                raise ValueError(f"{name}: expected a positive number of tokens, got {value}")
        if self.transforms:
            from .transforms import transform_key  # raises ValueError naming a bad transform

            transform_key(self.transforms)  # type: ignore[arg-type]

    def with_changes(self, **changes: Any) -> PackOptions:
        return replace(self, **changes)
