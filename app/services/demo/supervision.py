"""Demo supervision: a month of spot-checks with a finding, and districts' progress reports."""


def demo_supervision() -> dict:
    """Add what is missing; return what was added (to be written)."""
    return {}
