"""User-facing errors: the CLI prints them as one line and exits 2, never with a traceback."""


class UserError(Exception):
    """A mistake the user can fix (bad file, unknown preset, network that does not fit).

    The message must name the file, the key or object, the bad value and the fix.
    """

    exit_code = 2


class ConfigError(UserError):
    """A YAML file that is unreadable, has an unknown key, or a value out of range."""


class FitError(UserError):
    """A network that does not fit the chip; the message says by how much and what would help."""


class MissingExtraError(UserError):
    """An optional dependency is needed; the message gives the install command."""


def shown(text: object, limit: int = 80) -> str:
    """`text` as it may appear in an error message: at most `limit` characters (a user value can be
    megabytes long; the message must stay one readable line)."""
    t = str(text).replace("\n", " ")
    return t if len(t) <= limit else t[:limit - 3] + "..."
