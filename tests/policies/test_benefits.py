"""Benefits: fixed, monthly and formula amounts in fen, their checks and descriptions."""

import pytest

from app.errors import ValidationFailed
from app.services.policies import benefits


def test_fixed_amount():
    benefit = benefits.check({"kind": "fixed", "amount": 1000})
    assert benefits.amount_fen(benefit, {}) == 100_000
    assert benefits.describe(benefit) == "一次性 1,000 元"


def test_monthly_amount_uses_the_maximum_without_a_months_fact():
    benefit = benefits.check({"kind": "monthly", "amount_per_month": 300.5, "max_months": 12})
    assert benefits.amount_fen(benefit, {}) == 30_050 * 12
    assert benefits.describe(benefit) == "每月 300.50 元，最长 12 个月"


@pytest.mark.parametrize(("months", "fen"), [(3, 90_000), (12, 360_000), (40, 360_000), (0, 0), (None, None)])
def test_monthly_amount_takes_months_from_a_fact_up_to_the_maximum(months, fen):
    benefit = benefits.check(
        {"kind": "monthly", "amount_per_month": 300, "max_months": 12, "months_fact": "household_size"}
    )
    assert benefits.amount_fen(benefit, {"household_size": months}) == fen


def test_formula_over_the_facts_with_a_cap():
    benefit = benefits.check(
        {"kind": "formula", "expression": {"*": [{"var": "key_group_hires_12m"}, 1000]}, "max_amount": 5000},
        "employer",
    )
    assert benefits.amount_fen(benefit, {"key_group_hires_12m": 3}) == 300_000
    assert benefits.amount_fen(benefit, {"key_group_hires_12m": 7}) == 500_000
    assert benefits.describe(benefit) == "按公式计算：近12个月吸纳重点群体人数 × 1000 元，最高 5,000 元"


def test_a_formula_that_cannot_be_worked_out_gives_no_amount():
    benefit = benefits.check({"kind": "formula", "expression": {"/": [1000, {"var": "hires_count"}]}})
    assert benefits.amount_fen(benefit, {"hires_count": 0}) is None
    assert benefits.amount_fen(benefit, {"hires_count": 3}) == 33_333


def test_amounts_round_half_up_to_the_fen():
    benefit = benefits.check({"kind": "formula", "expression": {"*": [{"var": "hires_count"}, 0.125]}})
    assert benefits.amount_fen(benefit, {"hires_count": 1}) == 13


@pytest.mark.parametrize(
    "benefit",
    [
        None,
        {"kind": "lump"},
        {"kind": "fixed"},
        {"kind": "fixed", "amount": -1},
        {"kind": "fixed", "amount": 1.001},
        {"kind": "fixed", "amount": True},
        {"kind": "fixed", "amount": "abc"},
        {"kind": "fixed", "amount": 100, "extra": 1},
        {"kind": "monthly", "amount_per_month": 300, "max_months": 0},
        {"kind": "monthly", "amount_per_month": 300, "max_months": 12, "months_fact": "gender"},
        {"kind": "formula", "expression": {"log": [1]}},
        {"kind": "formula", "expression": {"var": "salary"}},
    ],
)
def test_a_bad_benefit_is_refused(benefit):
    with pytest.raises(ValidationFailed) as refused:
        benefits.check(benefit)
    assert refused.value.code == "benefit_invalid" and refused.value.field == "benefit"


def test_a_formula_reads_only_the_subject_s_facts():
    with pytest.raises(ValidationFailed):
        benefits.check({"kind": "formula", "expression": {"var": "hires_12m"}}, "person")
