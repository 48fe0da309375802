"""Housekeeping jobs for the `default` queue."""

from app.services.accounts import purge_expired_tokens as purge


def purge_expired_tokens(older_than_days: int = 7) -> int:
    """Delete tokens that expired or were revoked more than `older_than_days` ago."""
    return purge(older_than_days)
