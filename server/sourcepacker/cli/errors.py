"""The one exception the command line turns into a one-line error."""


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 1."""
