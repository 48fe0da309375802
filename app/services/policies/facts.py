"""The documented facts a policy's rule reads: the catalogue (FACTS) and calculator answers as facts.

A fact is a value about a person or an employer on a given day: ages and day counts are worked
out against the day asked about (never the wall clock), so a rule evaluated for a day gives the
same answer whenever it runs. `verified` facts come from records a reviewer accepted (a
registration, a certification) or from the ledger itself; a claim resting only on them needs no
declaration (免申即享). Gathering them from the ledger, in bulk: ledger_facts.py.
"""

from dataclasses import dataclass
from datetime import date

from app.common.clock import local_day
from app.errors import ValidationFailed
from app.models import (
    Education,
    EmployerSize,
    EmployerStatus,
    EmploymentStatus,
    KeyGroup,
)
from app.models.registrations import EmploymentKind


@dataclass(frozen=True)
class Fact:
    """One documented fact: its name in rules, whom it is about, its type and how it reads in Chinese."""

    name: str
    subject: str  # "person" | "employer"
    type: str  # "int" | "bool" | "str" | "list" | "dict"
    label: str
    description: str
    verified: bool  # from reviewed ledger records: a claim on it needs no declaration
    missing_hint: str | None = None  # what to do when a condition on it fails (plain Chinese)
    unit: str | None = None
    choices: tuple[str, ...] | None = None  # the values a "str" (or a "list"'s items) may take


def _fact(*args, **kwargs) -> tuple[str, Fact]:
    fact = Fact(*args, **kwargs)
    return fact.name, fact


KEY_GROUP_VALUES = tuple(KeyGroup)
FACTS: dict[str, Fact] = dict(
    [
        _fact(
            "age",
            "person",
            "int",
            "年龄",
            "Whole years on the day, from the birth date (the ID number).",
            True,
            unit="岁",
        ),
        _fact(
            "gender",
            "person",
            "str",
            "性别",
            "male or female, from the ID number.",
            True,
            choices=("male", "female"),
        ),
        _fact(
            "employment_status",
            "person",
            "str",
            "就业状态",
            "The ledger's employment status.",
            True,
            choices=tuple(EmploymentStatus),
        ),
        _fact(
            "status_days",
            "person",
            "int",
            "当前状态持续天数",
            "Days since the status last changed into its current value.",
            True,
            unit="天",
        ),
        _fact(
            "unemployment_registered",
            "person",
            "bool",
            "已办理失业登记",
            "An accepted unemployment registration (失业登记) in effect.",
            True,
            missing_hint="需先办理失业登记",
        ),
        _fact(
            "unemployment_registered_days",
            "person",
            "int",
            "失业登记天数",
            "Days since the unemployment registration in effect was accepted (None without one).",
            True,
            missing_hint="需先办理失业登记",
            unit="天",
        ),
        _fact(
            "employment_registered",
            "person",
            "bool",
            "已办理就业登记",
            "An accepted employment registration (就业登记) in effect.",
            True,
            missing_hint="需先办理就业登记",
        ),
        _fact(
            "employment_kind",
            "person",
            "str",
            "就业形式",
            "The kind of work of the employment registration in effect (None without one).",
            True,
            missing_hint="需先办理就业登记",
            choices=tuple(EmploymentKind),
        ),
        _fact(
            "employment_registered_days",
            "person",
            "int",
            "就业登记天数",
            "Days since the registered work started (started_on; None without one).",
            True,
            missing_hint="需先办理就业登记",
            unit="天",
        ),
        _fact(
            "key_groups",
            "person",
            "list",
            "重点群体",
            "Key groups certified on evidence (a certification or a registration) and in force on the day.",
            True,
            missing_hint="需先办理重点群体认定",
            choices=KEY_GROUP_VALUES,
        ),
        _fact(
            "declared_key_groups",
            "person",
            "list",
            "自报重点群体",
            "Key groups in force, not certified (declared, set without evidence, or worked out by a rule).",
            False,
            choices=KEY_GROUP_VALUES,
        ),
        _fact(
            "zero_employment_household",
            "person",
            "bool",
            "零就业家庭成员",
            "The person's household is a zero-employment household (零就业家庭) on the day.",
            True,
            missing_hint="需为零就业家庭成员",
        ),
        _fact(
            "household_size",
            "person",
            "int",
            "家庭人数",
            "Members of the person's household in the ledger (1 without one).",
            True,
            unit="人",
        ),
        _fact(
            "education",
            "person",
            "str",
            "学历",
            "The highest education on the person's résumé (declared).",
            False,
            missing_hint="需在简历中填写学历",
            choices=tuple(Education),
        ),
        _fact(
            "graduation_year",
            "person",
            "int",
            "毕业年份",
            "The graduation year of a certified college graduate (高校毕业生认定).",
            True,
            missing_hint="需先办理高校毕业生认定",
            unit="年",
        ),
        _fact(
            "years_since_graduation",
            "person",
            "int",
            "毕业年限",
            "The day's year minus the graduation year.",
            True,
            missing_hint="需先办理高校毕业生认定",
            unit="年",
        ),
        _fact(
            "district_code",
            "person",
            "str",
            "所在区县代码",
            "The administrative code of the district the person lives in.",
            True,
        ),
        _fact(
            "township_code",
            "person",
            "str",
            "所在乡镇街道代码",
            "The administrative code of the township.",
            True,
        ),
        _fact(
            "community_code",
            "person",
            "str",
            "所在社区村代码",
            "The administrative code of the community or village.",
            True,
        ),
        _fact(
            "hired_days",
            "person",
            "int",
            "平台入职天数",
            "Days since the last hire through the platform (an application marked hired; None without one).",
            True,
            missing_hint="需通过平台求职入职",
            unit="天",
        ),
        _fact(
            "hires_count",
            "person",
            "int",
            "平台入职次数",
            "Hires through the platform, ever.",
            True,
            unit="次",
        ),
        _fact(
            "employer_status",
            "employer",
            "str",
            "单位核验状态",
            "Where the employer is in verification.",
            True,
            missing_hint="需先完成单位主体核验",
            choices=tuple(EmployerStatus),
        ),
        _fact(
            "size", "employer", "str", "单位规模", "The headcount band.", False, choices=tuple(EmployerSize)
        ),
        _fact("industry", "employer", "str", "所属行业", "The employer's industry (as registered).", False),
        _fact(
            "verified",
            "employer",
            "bool",
            "已通过主体核验",
            "The employer is verified.",
            True,
            missing_hint="需先完成单位主体核验",
        ),
        _fact(
            "hires_12m",
            "employer",
            "int",
            "近12个月吸纳就业人数",
            "Employment registrations here started in the last 365 days (accepted, or since ended).",
            True,
            missing_hint="需为新吸纳人员办理就业登记",
            unit="人",
        ),
        _fact(
            "key_group_hires_12m",
            "employer",
            "int",
            "近12个月吸纳重点群体人数",
            "Of hires_12m, people with a certified key group in force on their first day.",
            True,
            missing_hint="需吸纳经认定的重点群体人员并办理就业登记",
            unit="人",
        ),
        _fact(
            "hires_by_key_group",
            "employer",
            "dict",
            "近12个月按重点群体吸纳人数",
            "Key group -> hires certified in it (12 months); a rule reads hires_by_key_group.<group>.",
            True,
            unit="人",
        ),
        _fact(
            "insured_staff",
            "employer",
            "int",
            "参保职工人数",
            "Staff insured by the employer; declared by the employer, never verified.",
            False,
            missing_hint="需申报参保职工人数",
            unit="人",
        ),
    ]
)
# The facts of each subject; a place code reads the same for an employer as for a person.
SUBJECT_FACTS: dict[str, tuple[str, ...]] = {
    "person": tuple(name for name, fact in FACTS.items() if fact.subject == "person"),
    "employer": (*(name for name, fact in FACTS.items() if fact.subject == "employer"), "district_code"),
}


def catalogue(subject: str | None = None) -> list[dict]:
    """Return the documented facts (of one subject when given), as the API lists them."""
    names = SUBJECT_FACTS[subject] if subject else list(FACTS)
    return [
        {
            **vars(FACTS[name]),
            "subject": subject or FACTS[name].subject,
            "choices": list(FACTS[name].choices or ()),
        }
        for name in names
    ]


# The most an answer may say (a calculator's question, not a record).
ANSWER_INT_MAX = 100_000


def empty_facts(subject: str) -> dict:
    """Return a subject's facts all unknown: None, an empty list or dict, False for a yes/no."""
    blank = {"bool": False, "list": [], "dict": {}}
    return {name: blank.get(FACTS[name].type) for name in SUBJECT_FACTS[subject]}


def answers_to_facts(answers: dict, subject: str, today: date | None = None) -> dict:
    """Return the facts a calculator's answers give, the rest unknown; 422 naming the first bad answer."""
    if subject not in SUBJECT_FACTS:
        raise ValidationFailed("subject", "Subject must be person or employer.")
    if not isinstance(answers, dict):
        raise ValidationFailed("answers", "Answers must be an object of fact names and values.")
    facts = empty_facts(subject)
    for name, value in answers.items():
        field = f"answers.{name}"
        if name not in SUBJECT_FACTS[subject]:
            raise ValidationFailed(field, f"{name} is not a fact about a {subject}.", code="unknown_fact")
        if value is None:
            continue
        facts[name] = _answer(FACTS[name], value, field)
    if facts.get("graduation_year") is not None and facts.get("years_since_graduation") is None:
        facts["years_since_graduation"] = (today or local_day()).year - facts["graduation_year"]
    return facts


def _answer(fact: Fact, value, field: str):
    """Return one answer checked against its fact's type and choices."""
    if fact.type == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= ANSWER_INT_MAX:
            raise ValidationFailed(
                field, f"A whole number from 0 to {ANSWER_INT_MAX}.", code="invalid_answer"
            )
        return value
    if fact.type == "bool":
        if not isinstance(value, bool):
            raise ValidationFailed(field, "true or false.", code="invalid_answer")
        return value
    if fact.type == "str":
        if not isinstance(value, str) or not value or len(value) > 64:
            raise ValidationFailed(field, "A text of 1–64 characters.", code="invalid_answer")
        if fact.choices and value not in fact.choices:
            raise ValidationFailed(field, f"One of: {', '.join(fact.choices)}.", code="invalid_answer")
        return value
    if fact.type == "list":
        if not isinstance(value, list) or any(item not in (fact.choices or ()) for item in value):
            raise ValidationFailed(
                field, f"A list of: {', '.join(fact.choices or ())}.", code="invalid_answer"
            )
        return sorted(set(value))
    if not isinstance(value, dict) or any(
        key not in KEY_GROUP_VALUES or isinstance(count, bool) or not isinstance(count, int) or count < 0
        for key, count in value.items()
    ):
        raise ValidationFailed(field, "An object of key groups and counts.", code="invalid_answer")
    return dict(sorted(value.items()))
