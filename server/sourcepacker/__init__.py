"""SourcePacker: exact token counts for a workspace, kept warm, packed into one prompt."""

__version__ = "0.1.0"
