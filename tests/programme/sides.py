"""The programme wing's objects of one side of the authorization matrix (tests/support.py build_side).

Each part of the wing adds its objects in its own function and returns their ids by URL argument
name; side B's are what every role outside side B must be refused (404 or 403).
"""


def operators_side(side: str, community, make_staff) -> dict:
    """Operators, contracts and circle filings of the side's district and circle."""
    return {}


def compliance_side(side: str, community, make_staff) -> dict:
    """Compliance gaps and populations of the side's places."""
    return {}


def supervision_side(side: str, community, make_staff) -> dict:
    """Spot-check samples, calls, findings and progress reports of the side's places."""
    return {}


def demonstration_side(side: str, community, make_staff) -> dict:
    """Demonstration rankings of the side's places."""
    return {}


def programme_side(side: str, community, make_staff) -> dict:
    """Return every programme part's ids for the side, by URL argument name."""
    ids: dict = {}
    for part in (operators_side, compliance_side, supervision_side, demonstration_side):
        ids.update(part(side, community, make_staff))
    return ids
