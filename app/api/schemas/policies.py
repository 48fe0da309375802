"""Schemas of the policy catalogue, the documented facts and the policy calculator."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import UtcDateTime, one_of
from app.models import ClaimPeriod, PolicySubject, PolicyVersionStatus

JSON_LOGIC = {"type": "object", "description": "A JsonLogic expression over the documented facts"}


class ClaimDeadlineSchema(ma.Schema):
    """When a claim must be made: days after qualifying, and/or a last day."""

    within_days = ma.fields.Integer(
        allow_none=True,
        validate=validate.Range(min=1, max=3650),
        metadata={"description": "Days after qualifying"},
    )
    by = ma.fields.Date(allow_none=True, metadata={"description": "The last day to claim"})


class BenefitSchema(ma.Schema):
    """What a policy pays (amounts in yuan): fixed, monthly up to max_months, or a formula over the facts."""

    class Meta:
        unknown = ma.INCLUDE

    kind = ma.fields.String(required=True, validate=validate.OneOf(["fixed", "monthly", "formula"]))
    amount = ma.fields.Raw(
        metadata={"description": "fixed: yuan (number, two decimals at most)", "type": "number"}
    )
    amount_per_month = ma.fields.Raw(metadata={"description": "monthly: yuan per month", "type": "number"})
    max_months = ma.fields.Integer(metadata={"description": "monthly: at most this many months (1–120)"})
    months_fact = ma.fields.String(metadata={"description": "monthly: a whole-number fact giving the months"})
    expression = ma.fields.Raw(metadata={**JSON_LOGIC, "description": "formula: JsonLogic giving yuan"})
    max_amount = ma.fields.Raw(metadata={"description": "formula: a cap in yuan", "type": "number"})


class PolicyVersionInputSchema(ma.Schema):
    """A version's fields (all of them to create; any of them to edit)."""

    title = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=128), metadata={"description": "政策名称"}
    )
    document_number = ma.fields.String(
        allow_none=True, validate=validate.Length(max=64), metadata={"description": "文号"}
    )
    issuer = ma.fields.String(
        allow_none=True, validate=validate.Length(max=128), metadata={"description": "发文机关"}
    )
    summary = ma.fields.String(
        allow_none=True, validate=validate.Length(max=5000), metadata={"description": "摘要"}
    )
    place_codes = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=12)),
        validate=validate.Length(max=50),
        metadata={
            "description": "District, township or community codes inside the owner's place; empty: all of it"
        },
    )
    effective_from = ma.fields.Date(required=True)
    effective_until = ma.fields.Date(allow_none=True, metadata={"description": "On or after effective_from"})
    benefit = ma.fields.Nested(BenefitSchema, required=True)
    materials = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=100)),
        validate=validate.Length(max=30),
        metadata={"description": "申领材料"},
    )
    claim_deadline = ma.fields.Nested(ClaimDeadlineSchema)
    claim_period = ma.fields.String(
        validate=one_of(ClaimPeriod), metadata={"description": "once, yearly or monthly"}
    )
    notice_days = ma.fields.Integer(
        validate=validate.Range(min=1, max=30), metadata={"description": "公示天数"}
    )
    rule = ma.fields.Dict(required=True, metadata=JSON_LOGIC)
    hints = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(validate=validate.Length(min=1, max=100)),
        metadata={"description": "Fact name -> what to do when a condition on it fails (plain Chinese)"},
    )


class PolicyInputSchema(PolicyVersionInputSchema):
    """A new policy: its subject and owner, and its first version."""

    code = ma.fields.String(
        validate=validate.Regexp(r"^[A-Z0-9][A-Z0-9-]{1,31}$"),
        metadata={
            "description": "A stable code (e.g. HS-QZCY); a retry with the same code returns the draft"
        },
    )
    subject = ma.fields.String(required=True, validate=one_of(PolicySubject))
    district_code = ma.fields.String(
        allow_none=True,
        validate=validate.Length(min=6, max=12),
        metadata={
            "description": "A district policy's district (a district admin: their own); none: the city's"
        },
    )


class PolicyEditSchema(PolicyVersionInputSchema):
    """A change to the draft: any of the version's fields (loaded partial)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(**kwargs)


class PolicyActionSchema(ma.Schema):
    """A note kept in the audit log with a publication or a withdrawal."""

    note = ma.fields.String(allow_none=True, validate=validate.Length(max=200))


class PolicyWithdrawSchema(ma.Schema):
    """Why the policy is withdrawn (kept in the audit log)."""

    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


class PolicyVersionSummarySchema(ma.Schema):
    """One version in a policy's history."""

    version_id = ma.fields.Integer(required=True)
    number = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=one_of(PolicyVersionStatus))
    title = ma.fields.String(required=True)
    author_id = ma.fields.Integer(required=True)
    submitted_at = UtcDateTime(allow_none=True)
    published_by_id = ma.fields.Integer(allow_none=True)
    published_at = UtcDateTime(allow_none=True)
    ended_at = UtcDateTime(allow_none=True)


class PolicySchema(ma.Schema):
    """A policy at one version (the published one; a manager sees the latest and the history)."""

    id = ma.fields.Integer(
        required=True, metadata={"description": "The policy's id (stable across versions)"}
    )
    code = ma.fields.String(required=True)
    subject = ma.fields.String(required=True)
    district_code = ma.fields.String(allow_none=True, metadata={"description": "None: a city policy"})
    is_demo = ma.fields.Boolean(required=True, metadata={"description": "An illustrative demo policy (示例)"})
    version_id = ma.fields.Integer(required=True)
    number = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    document_number = ma.fields.String(allow_none=True)
    issuer = ma.fields.String(allow_none=True)
    summary = ma.fields.String(allow_none=True)
    place_codes = ma.fields.List(ma.fields.String())
    effective_from = ma.fields.Date(required=True)
    effective_until = ma.fields.Date(allow_none=True)
    benefit = ma.fields.Dict()
    benefit_text = ma.fields.String(metadata={"description": "The benefit in plain Chinese"})
    materials = ma.fields.List(ma.fields.String())
    claim_deadline = ma.fields.Dict()
    claim_period = ma.fields.String()
    notice_days = ma.fields.Integer()
    rule = ma.fields.Dict(metadata=JSON_LOGIC)
    rule_facts = ma.fields.List(ma.fields.String(), metadata={"description": "The facts the rule reads"})
    hints = ma.fields.Dict()
    published_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    versions = ma.fields.List(
        ma.fields.Nested(PolicyVersionSummarySchema),
        allow_none=True,
        metadata={"description": "Managers only: every version, oldest first"},
    )


class PolicyListSchema(ma.Schema):
    """The policies in force."""

    items = ma.fields.List(ma.fields.Nested(PolicySchema), required=True)


class PolicyQuerySchema(ma.Schema):
    """?subject=&district_code= of the public list."""

    subject = ma.fields.String(validate=one_of(PolicySubject))
    district_code = ma.fields.String(validate=validate.Length(min=6, max=12))


class PolicyVersionListSchema(ma.Schema):
    """A policy's versions."""

    items = ma.fields.List(ma.fields.Nested(PolicyVersionSummarySchema), required=True)


class FactQuerySchema(ma.Schema):
    """?subject= of the fact catalogue."""

    subject = ma.fields.String(
        validate=one_of(PolicySubject), metadata={"description": "Only this subject's facts"}
    )


class FactSchema(ma.Schema):
    """One documented fact a rule may read."""

    name = ma.fields.String(required=True)
    subject = ma.fields.String(required=True, metadata={"description": "person or employer"})
    type = ma.fields.String(required=True, metadata={"description": "int, bool, str, list or dict"})
    label = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    verified = ma.fields.Boolean(required=True, metadata={"description": "From reviewed ledger records"})
    missing_hint = ma.fields.String(allow_none=True)
    unit = ma.fields.String(allow_none=True)
    choices = ma.fields.List(ma.fields.String(), allow_none=True)


class FactCatalogueSchema(ma.Schema):
    """The documented facts, and the operators a rule may use."""

    facts = ma.fields.List(ma.fields.Nested(FactSchema), required=True)
    operators = ma.fields.List(ma.fields.String(), required=True)


class EvaluateInputSchema(ma.Schema):
    """The calculator's question: a subject and answers (fact name -> value), or my own facts."""

    subject = ma.fields.String(load_default=PolicySubject.person.value, validate=one_of(PolicySubject))
    answers = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.Length(max=64)),
        values=ma.fields.Raw(allow_none=True),
        load_default=dict,
        validate=validate.Length(max=40),
        metadata={"description": "Fact name -> value (GET /api/v1/policies/facts); unanswered: unknown"},
    )
    use_my_facts = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Logged in: use my facts from the ledger (answers fill only what it lacks)"},
    )


class TraceItemSchema(ma.Schema):
    """One condition of a rule: what it reads, whether it held, and what is missing."""

    condition = ma.fields.Raw(required=True, metadata=JSON_LOGIC)
    facts = ma.fields.Dict(required=True)
    held = ma.fields.Boolean(required=True)
    text = ma.fields.String(required=True, metadata={"description": "e.g. 年龄 ≥ 16岁（实际 35岁）"})
    missing = ma.fields.String(allow_none=True, metadata={"description": "e.g. 需先办理失业登记"})


class EvaluatedPolicySchema(ma.Schema):
    """One policy's answer."""

    policy_id = ma.fields.Integer(required=True)
    version_id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    document_number = ma.fields.String(allow_none=True)
    issuer = ma.fields.String(allow_none=True)
    is_demo = ma.fields.Boolean(required=True)
    benefit_text = ma.fields.String(required=True)
    qualified = ma.fields.Boolean(required=True)
    near_miss = ma.fields.Boolean(required=True, metadata={"description": "Exactly one condition failed"})
    amount_fen = ma.fields.Integer(allow_none=True, metadata={"description": "Estimated amount in fen (分)"})
    claim_deadline = ma.fields.Date(
        allow_none=True, metadata={"description": "Qualifying today: the last day"}
    )
    trace = ma.fields.List(ma.fields.Nested(TraceItemSchema), required=True)
    missing = ma.fields.List(ma.fields.String(), required=True)


class EvaluationSchema(ma.Schema):
    """The calculator's answer: every policy in force for the subject, best value first."""

    subject = ma.fields.String(required=True)
    as_of = ma.fields.Date(required=True)
    used_my_facts = ma.fields.Boolean(required=True)
    facts = ma.fields.Dict(required=True, metadata={"description": "The facts evaluated"})
    qualified_total_fen = ma.fields.Integer(required=True)
    policies = ma.fields.List(ma.fields.Nested(EvaluatedPolicySchema), required=True)
