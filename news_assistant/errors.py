"""Errors a user can act on.

Library code raises these with a one-line message; the CLI prints the message and exits with
`exit_code` instead of a traceback (0 ok, 1 runtime failure, 2 usage error).
"""


class AssistantError(Exception):
    """Something the user can fix: bad data, a missing or stale index."""

    exit_code = 1


class UsageError(AssistantError):
    """The command line asked for something impossible (empty question, unknown mode, bad path)."""

    exit_code = 2
