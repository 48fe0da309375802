"""Policies (就业政策): a catalogue entry and its versions, each with a JsonLogic eligibility rule."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONText, TimestampMixin


class PolicySubject(StrEnum):
    """Whom a policy's benefit goes to."""

    person = "person"  # a resident (个人补贴)
    employer = "employer"  # an employer (单位补贴: 社保补贴, 岗位补贴, 吸纳就业补贴 …)


class PolicyVersionStatus(StrEnum):
    """Where one version of a policy stands."""

    draft = "draft"  # 草稿: being written, editable
    pending = "pending"  # 待发布: submitted; a second admin in scope publishes it
    published = "published"  # 已发布: the version in force (one per policy)
    superseded = "superseded"  # 已被新版本取代
    withdrawn = "withdrawn"  # 已撤回 (the policy stops; matches lapse)


class ClaimPeriod(StrEnum):
    """How often one subject may claim a policy (one claim per subject, policy and period)."""

    once = "once"  # 一次性
    yearly = "yearly"  # 每年一次
    monthly = "monthly"  # 按月


class Policy(TimestampMixin, Base):
    """A policy's identity across its versions, owned by the city or one district.

    Its version in force is the one `published` (at most one per policy).
    """

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A short stable code staff and the demo refer to (e.g. "HS-QZCY"); unique.
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    subject: Mapped[str] = mapped_column(sa.String(16))
    # The owner: a city policy has district_id NULL; a district's has both set. Publishing needs
    # an admin of that place (city admin, or that district's admin) other than the author.
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    # Illustrative policies the demo loads, shown with a "示例" mark.
    is_demo: Mapped[bool] = mapped_column(default=False)

    versions: Mapped[list["PolicyVersion"]] = relationship(
        back_populates="policy", order_by="PolicyVersion.number"
    )


class PolicyVersion(TimestampMixin, Base):
    """One version of a policy: its text, benefit, claim rules and eligibility rule."""

    __tablename__ = "policy_versions"
    __table_args__ = (
        sa.UniqueConstraint("policy_id", "number", name="uq_policy_versions_policy_id_number"),
        sa.Index("ix_policy_versions_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("policies.id"))
    number: Mapped[int]  # 1, 2, … per policy
    status: Mapped[str] = mapped_column(sa.String(16), default=PolicyVersionStatus.draft.value)

    title: Mapped[str] = mapped_column(sa.String(128))
    document_number: Mapped[str | None] = mapped_column(sa.String(64))  # 文号
    issuer: Mapped[str | None] = mapped_column(sa.String(128))  # 发文机关
    summary: Mapped[str | None] = mapped_column(sa.Text())
    # Where it applies: administrative codes (district, township or community); empty: the
    # owner's whole place. A person's place codes must start with one of them.
    place_codes: Mapped[list] = mapped_column(JSONText(), default=list)
    effective_from: Mapped[date]
    effective_until: Mapped[date | None]
    # {"kind": "fixed", "amount": 1000} | {"kind": "monthly", "amount_per_month": 300,
    #  "max_months": 12, "months_fact": "…"} | {"kind": "formula", "expression": <JsonLogic>}
    # Amounts in yuan (whole yuan or two decimals).
    benefit: Mapped[dict] = mapped_column(JSONText())
    materials: Mapped[list] = mapped_column(JSONText(), default=list)  # 申领材料
    # {"within_days": 90} (days after the person first qualified) and/or {"by": "2027-12-31"}.
    claim_deadline: Mapped[dict] = mapped_column(JSONText(), default=dict)
    claim_period: Mapped[str] = mapped_column(sa.String(16), default=ClaimPeriod.once.value)
    notice_days: Mapped[int] = mapped_column(default=7)  # 公示天数
    # The eligibility rule (a JsonLogic expression over the documented facts), the facts it
    # reads (derived when saved), and optional plain-Chinese hints per fact for a near miss.
    rule: Mapped[dict] = mapped_column(JSONText())
    rule_facts: Mapped[list] = mapped_column(JSONText(), default=list)
    hints: Mapped[dict] = mapped_column(JSONText(), default=dict)

    author_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime())  # superseded or withdrawn

    policy: Mapped[Policy] = relationship(back_populates="versions")
