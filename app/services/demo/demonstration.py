"""Demo demonstration ranking and employer credibility."""


def demo_demonstration() -> dict:
    """Add what is missing; return what was added (to be written)."""
    return {}
