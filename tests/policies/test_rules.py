"""Eligibility rules: the whitelist, every operator over the facts, dates at boundaries, the trace."""

import json
from datetime import date

import pytest

from app.errors import ValidationFailed
from app.services.policies import rules
from app.services.policies.facts import FACTS
from app.services.policies.ledger_facts import age_on

AGE_16_60 = {"and": [{">=": [{"var": "age"}, 16]}, {"<=": [{"var": "age"}, 60]}]}


def person(**facts) -> dict:
    base = {
        "age": 35,
        "gender": "female",
        "employment_status": "unemployed",
        "status_days": 100,
        "unemployment_registered": True,
        "unemployment_registered_days": 40,
        "employment_registered": False,
        "employment_kind": None,
        "employment_registered_days": None,
        "key_groups": ["disabled"],
        "declared_key_groups": [],
        "zero_employment_household": False,
        "household_size": 3,
        "education": "bachelor",
        "graduation_year": 2025,
        "years_since_graduation": 1,
        "district_code": "341002000000",
        "township_code": "341002002000",
        "community_code": "341002002001",
        "hired_days": None,
        "hires_count": 0,
    }
    return {**base, **facts}


# ---- check: the whitelist --------------------------------------------------------------------------


def test_check_returns_the_facts_a_rule_reads():
    rule = {"and": [*AGE_16_60["and"], {"in": ["disabled", {"var": "key_groups"}]}]}
    assert rules.check(rule) == ["age", "key_groups"]


@pytest.mark.parametrize(
    "rule",
    [
        {"log": [1]},
        {"substr": ["abc", 1]},
        {"merge": [[1], [2]]},
        {"filter": [{"var": "key_groups"}, True]},
        {"var": "salary"},
        {">=": [{"var": "age.years"}, 3]},
        {"var": ["age", 30]},
        {"var": ""},
        {">=": [{"var": "hires_by_key_group.astronaut"}, 1]},
        {"and": [{"==": 1, "!=": 2}]},
        [{"var": "age"}],
        "age >= 16",
        None,
    ],
)
def test_check_refuses_what_is_not_allowed(rule):
    with pytest.raises(ValidationFailed) as refused:
        rules.check(rule)
    assert refused.value.code == "rule_invalid" and refused.value.field == "rule"


def test_check_refuses_a_fact_of_the_other_subject():
    with pytest.raises(ValidationFailed):
        rules.check({">=": [{"var": "hires_12m"}, 1]}, "person")
    assert rules.check({">=": [{"var": "hires_12m"}, 1]}, "employer") == ["hires_12m"]


def test_check_bounds_a_rule_s_size():
    deep = {"var": "age"}
    for _ in range(30):
        deep = {"!": [deep]}
    with pytest.raises(ValidationFailed):
        rules.check(deep)


# ---- every operator over the facts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "facts", "held"),
    [
        ({"==": [{"var": "gender"}, "female"]}, {}, True),
        ({"!=": [{"var": "gender"}, "female"]}, {}, False),
        ({"<": [{"var": "age"}, 35]}, {}, False),
        ({"<=": [{"var": "age"}, 35]}, {}, True),
        ({">": [{"var": "status_days"}, 99]}, {}, True),
        ({">=": [{"var": "status_days"}, 101]}, {}, False),
        ({"<=": [18, {"var": "age"}, 40]}, {}, True),  # between
        ({"<": [35, {"var": "age"}, 40]}, {}, False),
        ({"in": ["disabled", {"var": "key_groups"}]}, {}, True),
        ({"in": ["veteran", {"var": "key_groups"}]}, {}, False),
        ({"in": [{"var": "employment_status"}, ["unemployed", "unemployed_registered"]]}, {}, True),
        ({"!": [{"var": "employment_registered"}]}, {}, True),
        ({"!!": [{"var": "unemployment_registered"}]}, {}, True),
        (
            {"or": [{"var": "zero_employment_household"}, {"in": ["disabled", {"var": "key_groups"}]}]},
            {},
            True,
        ),
        ({"and": [{"var": "zero_employment_household"}, True]}, {}, False),
        ({"if": [{"var": "unemployment_registered"}, True, False]}, {}, True),
        ({">=": [{"+": [{"var": "household_size"}, 1]}, 4]}, {}, True),
        ({"<": [{"-": [{"var": "household_size"}, 1]}, 2]}, {}, False),
        ({">=": [{"*": [{"var": "years_since_graduation"}, 12]}, 12]}, {}, True),
        ({"==": [{"/": [{"var": "status_days"}, 50]}, 2]}, {}, True),
        ({">=": [{"min": [{"var": "status_days"}, {"var": "unemployment_registered_days"}]}, 40]}, {}, True),
        ({">": [{"max": [{"var": "status_days"}, 10]}, 100]}, {}, False),
        ({"==": [{"var": "education"}, "bachelor"]}, {}, True),
        ({"==": [{"var": "employment_kind"}, "flexible"]}, {"employment_kind": "flexible"}, True),
        ({"==": [{"var": "district_code"}, "341002000000"]}, {}, True),
        ({">=": [{"var": "hires_count"}, 1]}, {"hires_count": 1}, True),
    ],
)
def test_every_operator_evaluates_over_the_facts(rule, facts, held):
    assert rules.check(rule)
    assert rules.evaluate(rule, person(**facts)).qualified is held


def test_a_dict_fact_is_read_one_key_deep():
    rule = {">=": [{"var": "hires_by_key_group.disabled"}, 2]}
    assert rules.check(rule) == ["hires_by_key_group"]
    assert rules.evaluate(rule, {"hires_by_key_group": {"disabled": 2}}).qualified
    assert not rules.evaluate(rule, {"hires_by_key_group": {"veteran": 5}}).qualified


@pytest.mark.parametrize("operator", ["<", "<=", ">", ">="])
def test_an_unknown_fact_never_satisfies_a_comparison(operator):
    # JsonLogic alone reads null as 0: "age <= 60" would hold for someone of unknown age.
    assert not rules.evaluate({operator: [{"var": "age"}, 60]}, person(age=None)).qualified
    assert not rules.evaluate({operator: [60, {"var": "age"}]}, person(age=None)).qualified


def test_dividing_by_zero_fails_the_condition_not_the_request():
    assert not rules.evaluate(
        {">": [{"/": [10, {"var": "hires_count"}]}, 1]}, person(hires_count=0)
    ).qualified


# ---- dates at boundaries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        (date(2010, 12, 5), date(2026, 12, 5), 16),  # turns 16 today
        (date(2010, 12, 6), date(2026, 12, 5), 15),  # turns 16 tomorrow
        (date(1966, 12, 5), date(2026, 12, 5), 60),  # turns 60 today
        (date(1966, 12, 4), date(2026, 12, 5), 60),
        (date(1965, 12, 5), date(2026, 12, 5), 61),  # turned 61 today
        (date(2008, 2, 29), date(2026, 2, 28), 17),  # a leap-day birthday counts from 1 March
        (date(2008, 2, 29), date(2026, 3, 1), 18),
    ],
)
def test_ages_at_birthdays(born, today, age):
    assert age_on(born, today) == age


@pytest.mark.parametrize(
    ("born", "held"),
    [
        (date(2010, 12, 5), True),
        (date(2010, 12, 6), False),
        (date(1966, 12, 5), True),
        (date(1965, 12, 5), False),
    ],
)
def test_working_age_rule_on_the_day_of_a_birthday(born, held):
    today = date(2026, 12, 5)
    assert rules.evaluate(AGE_16_60, {"age": age_on(born, today)}).qualified is held


def test_day_counts_at_the_boundary():
    rule = {">=": [{"var": "unemployment_registered_days"}, 30]}
    assert rules.evaluate(rule, person(unemployment_registered_days=30)).qualified
    assert not rules.evaluate(rule, person(unemployment_registered_days=29)).qualified


# ---- the trace -----------------------------------------------------------------------------------


def test_each_top_level_condition_is_a_trace_item_with_its_facts():
    rule = {
        "and": [
            {">=": [{"var": "age"}, 16]},
            {"in": ["disabled", {"var": "key_groups"}]},
            {"==": [{"var": "unemployment_registered"}, True]},
        ]
    }
    evaluation = rules.evaluate(rule, person(age=35, key_groups=["disabled"], unemployment_registered=False))
    assert [item["held"] for item in evaluation.trace] == [True, True, False]
    assert evaluation.trace[0] == {
        "condition": {">=": [{"var": "age"}, 16]},
        "facts": {"age": 35},
        "held": True,
        "text": "年龄 ≥ 16岁（实际 35岁）",
        "missing": None,
    }
    assert evaluation.trace[1]["text"] == "重点群体包含 残疾人（实际 残疾人）"
    assert evaluation.trace[2]["text"] == "已办理失业登记（实际 否）"
    assert evaluation.trace[2]["missing"] == "需先办理失业登记"
    assert evaluation.missing == ["需先办理失业登记"]
    assert not evaluation.qualified and evaluation.near_miss
    json.dumps(evaluation.trace)  # stored with every match


def test_a_rule_that_is_not_an_and_is_one_condition():
    evaluation = rules.evaluate({">=": [{"var": "age"}, 16]}, person(age=15))
    assert len(evaluation.trace) == 1 and evaluation.near_miss
    assert evaluation.missing == ["需满足：年龄 ≥ 16岁"]


def test_missing_texts_in_plain_chinese():
    rule = {
        "and": [
            {"in": ["disabled", {"var": "key_groups"}]},
            {"==": [{"var": "zero_employment_household"}, True]},
            {">=": [{"var": "unemployment_registered_days"}, 30]},
            {"<=": [{"var": "age"}, 60]},
        ]
    }
    evaluation = rules.evaluate(
        rule,
        person(key_groups=[], zero_employment_household=False, unemployment_registered_days=None, age=61),
    )
    assert evaluation.missing == [
        "需经认定属于残疾人",
        "需为零就业家庭成员",
        "需先办理失业登记",
        "需满足：年龄 ≤ 60岁",
    ]
    assert not evaluation.near_miss  # more than one condition failed
    # Too few days (a registration exists) is not "register first".
    short = rules.evaluate(rule["and"][2], person(unemployment_registered_days=10))
    assert short.missing == ["需满足：失业登记天数 ≥ 30天"]


def test_the_policy_s_hint_overrides_the_fact_s():
    hints = {"unemployment_registered": "请到社区就业服务站办理失业登记"}
    evaluation = rules.evaluate(
        {"==": [{"var": "unemployment_registered"}, True]}, person(unemployment_registered=False), hints
    )
    assert evaluation.missing == ["请到社区就业服务站办理失业登记"]


def test_an_or_reads_as_one_condition_with_all_its_facts():
    rule = {"or": [{"var": "zero_employment_household"}, {"in": ["veteran", {"var": "key_groups"}]}]}
    item = rules.evaluate(rule, person()).trace[0]
    assert item["facts"] == {"key_groups": ["disabled"], "zero_employment_household": False}
    assert item["text"].startswith("（零就业家庭成员 或 重点群体包含 退役军人）")


def test_every_fact_has_a_chinese_label():
    for fact in FACTS.values():
        assert (
            fact.label
            and fact.subject in ("person", "employer")
            and fact.type
            in (
                "int",
                "bool",
                "str",
                "list",
                "dict",
            )
        )


def test_a_version_change_changes_the_answer():
    # Version 1 asks for 30 days registered, version 2 for 60: the same facts qualify for one only.
    v1 = {"and": [{">=": [{"var": "unemployment_registered_days"}, 30]}]}
    v2 = {"and": [{">=": [{"var": "unemployment_registered_days"}, 60]}]}
    facts = person(unemployment_registered_days=40)
    assert rules.evaluate(v1, facts).qualified and not rules.evaluate(v2, facts).qualified
