"""``python -m sourcepacker`` is the command line (``python -m sourcepacker serve``: the daemon)."""

from .cli import main

raise SystemExit(main())
