"""Reading settings from the environment: strings, ints and booleans with defaults."""

import os


def env_str(name: str, default: str | None = None) -> str | None:
    """Return an environment variable, or `default` when unset or empty."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    """Return an environment variable as an int."""
    value = env_str(name)
    return int(value) if value is not None else default


def env_bool(name: str, default: bool) -> bool:
    """Return an environment variable as a bool (1/true/yes/on)."""
    value = env_str(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}
