"""Errors that carry a message meant for the person at the keyboard."""


class CallersError(Exception):
    """A problem the user can act on. Its message is shown as-is, on one line."""

    exit_code = 1
