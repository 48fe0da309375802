"""All models, imported here so Alembic and the app see every table."""

from app.models.accounts import STAFF_ROLES, Account, AuthToken, Role, ScopeKind
from app.models.audit import AuditEvent
from app.models.base import Base, utcnow
from app.models.places import (
    Circle,
    CircleArea,
    City,
    Community,
    CommunityKind,
    District,
    Station,
    Township,
    TownshipKind,
)
from app.models.residents import (
    EmploymentStatus,
    Household,
    KeyGroup,
    Resident,
    ResidentKeyGroup,
    StatusChange,
    StatusSource,
)

__all__ = [
    "Account",
    "AuditEvent",
    "AuthToken",
    "Base",
    "Circle",
    "CircleArea",
    "City",
    "Community",
    "CommunityKind",
    "District",
    "EmploymentStatus",
    "Household",
    "KeyGroup",
    "Resident",
    "ResidentKeyGroup",
    "Role",
    "STAFF_ROLES",
    "ScopeKind",
    "Station",
    "StatusChange",
    "StatusSource",
    "Township",
    "TownshipKind",
    "utcnow",
]
