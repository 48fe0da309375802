"""Demo operators, contracts and filed circles for two districts (屯溪区 and 黄山区)."""


def demo_operators() -> dict:
    """Add what is missing; return what was added (to be written)."""
    return {}
