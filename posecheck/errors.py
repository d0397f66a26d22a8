"""The one exception type for problems a user can cause (bad file, bad exercise definition, ...).

The CLI and the UI show its message and nothing else, so messages are written for a person.
"""


class PosecheckError(Exception):
    """A problem with the user's input, explained in one line."""
