"""Demo populations and the compliance gaps the demo's data leaves."""


def demo_compliance() -> dict:
    """Add what is missing; return what was added (to be written)."""
    return {}
