"""Eligibility rules: JsonLogic over the documented facts, checked when saved and evaluated with a trace.

A rule is data: a JsonLogic expression evaluated by the maintained `panzi-json-logic` library,
limited to OPERATORS and to "var"s naming a documented fact. Each top-level "and" condition (a
rule that is not an "and" is one condition) becomes one trace item with the facts it read,
whether it held, a plain-Chinese text built from the facts' labels and units, and for a failed
one what is missing (the policy's hint for the fact, else the fact's missing_hint, else "需满足…").
Comparisons are strict: an unknown fact (None) never satisfies <, <=, > or >= (JsonLogic alone
would read null as 0, and "age <= 60" would hold for someone whose age is unknown).
"""

import json
from dataclasses import dataclass

from json_logic import jsonLogic
from json_logic.builtins import BUILTINS, to_bool

from app.errors import ValidationFailed
from app.models import EmploymentStatus, KeyGroup
from app.models.residents import KEY_GROUP_LABELS
from app.services.policies.facts import FACTS, SUBJECT_FACTS

# The operators a rule may use; anything else (log, substr, merge, filter, map …) is refused.
OPERATORS = frozenset(
    {
        "and",
        "or",
        "!",
        "!!",
        "if",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "in",
        "var",
        "+",
        "-",
        "*",
        "/",
        "min",
        "max",
    }
)
COMPARISONS = {"<", "<=", ">", ">="}
# Rules are small; these bound what a saved rule (and the evaluation's recursion) may hold.
MAX_DEPTH, MAX_NODES = 12, 400


def _strict(compare):
    """Wrap a comparison so that an unknown operand (None) makes it false."""

    def operation(data=None, *args):
        if any(arg is None for arg in args[:3]):
            return False
        return compare(data, *args)

    return operation


OPERATIONS = {name: BUILTINS[name] for name in OPERATORS if name in BUILTINS}
OPERATIONS.update({name: _strict(BUILTINS[name]) for name in COMPARISONS})


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed("rule", message, code="rule_invalid")


def check(rule, subject: str | None = None) -> list[str]:
    """Return the fact names a rule reads (sorted); 422 rule_invalid for anything not allowed.

    With `subject`, the facts must be that subject's.
    """
    if not isinstance(rule, dict) or len(rule) != 1:
        raise _invalid('A rule is a JsonLogic object with one operator, e.g. {"and": [...]}.')
    names: set[str] = set()
    count = [0]
    _walk(rule, names, 0, count)
    if subject is not None:
        foreign = sorted(name for name in names if name not in SUBJECT_FACTS[subject])
        if foreign:
            raise _invalid(f"Not a fact about a {subject}: {', '.join(foreign)}.")
    return sorted(names)


def _walk(node, names: set, depth: int, count: list) -> None:
    """Check one node of a rule, collecting the facts it reads."""
    count[0] += 1
    if depth > MAX_DEPTH or count[0] > MAX_NODES:
        raise _invalid(f"A rule may nest {MAX_DEPTH} deep and hold {MAX_NODES} parts at most.")
    if isinstance(node, list):
        for item in node:
            _walk(item, names, depth + 1, count)
        return
    if isinstance(node, dict):
        if len(node) != 1:
            raise _invalid("Each JsonLogic operation is an object with exactly one operator.")
        operator, args = next(iter(node.items()))
        if operator not in OPERATORS:
            raise _invalid(f"Operator {operator!r} is not allowed; allowed: {', '.join(sorted(OPERATORS))}.")
        if operator == "var":
            names.add(_var_name(args))
            return
        for arg in args if isinstance(args, list) else [args]:
            _walk(arg, names, depth + 1, count)
        return
    if node is not None and not isinstance(node, (bool, int, float, str)):
        raise _invalid("A rule holds only JSON values.")
    if isinstance(node, float) and node != node:
        raise _invalid("A rule holds only JSON values.")


def _var_name(args) -> str:
    """Return the fact a "var" reads; a dict fact may be read one key deep ("hires_by_key_group.disabled")."""
    path = args[0] if isinstance(args, list) and args else args
    if isinstance(args, list) and len(args) > 1:
        raise _invalid('A "var" names one fact, without a default.')
    if not isinstance(path, str) or not path:
        raise _invalid('A "var" names a documented fact (GET /api/v1/policies/facts).')
    name, _, key = path.partition(".")
    fact = FACTS.get(name)
    if fact is None:
        raise _invalid(f"Unknown fact {name!r} (GET /api/v1/policies/facts lists them).")
    if key and (fact.type != "dict" or "." in key):
        raise _invalid(f"Fact {name!r} has no part {key!r}.")
    if key and key not in KeyGroup.__members__:
        raise _invalid(f"Unknown key group {key!r}.")
    return name


@dataclass(frozen=True)
class Evaluation:
    """A rule's result for one set of facts: qualified, the trace per condition, what is missing."""

    qualified: bool
    trace: list[dict]
    missing: list[str]
    near_miss: bool


def conditions(rule) -> list:
    """Return a rule's top-level conditions: an "and"'s parts, else the rule itself."""
    if isinstance(rule, dict) and "and" in rule and len(rule) == 1:
        args = rule["and"]
        return list(args) if isinstance(args, list) else [args]
    return [rule]


def evaluate(rule, facts: dict, hints: dict | None = None) -> Evaluation:
    """Evaluate a rule over the facts; every top-level condition is one trace item."""
    trace, missing, failed = [], [], 0
    for condition in conditions(rule):
        text, reads = _described(condition)
        held = holds(condition, facts)
        values = {name: facts.get(name) for name in reads}
        item = {
            "condition": condition,
            "facts": values,
            "held": held,
            "text": text + _actual(reads, values),
            "missing": None,
        }
        if not held:
            item["missing"] = _missing(condition, reads, text, hints or {}, values)
            failed += 1
            if item["missing"] not in missing:
                missing.append(item["missing"])
        trace.append(item)
    return Evaluation(qualified=failed == 0, trace=trace, missing=missing, near_miss=failed == 1)


def apply(expression, facts: dict):
    """Return a checked expression's value over the facts (None where arithmetic fails: ÷ 0, a text)."""
    try:
        return jsonLogic(expression, facts, OPERATIONS)
    except (ArithmeticError, TypeError, ValueError):
        return None


def holds(condition, facts: dict) -> bool:
    """Tell whether one condition holds over the facts."""
    return to_bool(apply(condition, facts))


# ---- the plain-Chinese texts ------------------------------------------------------------------------

SYMBOLS = {
    "==": "=",
    "!=": "≠",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "+": "+",
    "-": "-",
    "*": "×",
    "/": "÷",
}
STATUS_LABELS = {
    EmploymentStatus.employed: "就业",
    EmploymentStatus.flexible: "灵活就业",
    EmploymentStatus.unemployed_registered: "登记失业",
    EmploymentStatus.unemployed: "未就业",
    EmploymentStatus.student: "在校学生",
    EmploymentStatus.retired: "退休",
    EmploymentStatus.not_in_labour_force: "非劳动力",
}
VALUE_LABELS = {
    **{group.value: label for group, label in KEY_GROUP_LABELS.items()},
    **{status.value: label for status, label in STATUS_LABELS.items()},
    "male": "男",
    "female": "女",
    "self_employed": "个体经营/自主创业",
    "verified": "已核验",
    "pending": "待核验",
    "rejected": "未通过",
    "micro": "微型(10人以下)",
    "small": "小型(10–99人)",
    "medium": "中型(100–299人)",
    "large": "大型(300人以上)",
    "none": "不限",
    "primary": "小学",
    "junior_high": "初中",
    "senior_high": "高中/中专/技校",
    "associate": "大专",
    "bachelor": "本科",
    "postgraduate": "研究生",
}
# Rendered texts of conditions seen before: the batch evaluates the same few conditions millions of times.
_TEXTS: dict[str, tuple[str, tuple[str, ...]]] = {}
_BY_ID: dict[int, tuple[object, tuple[str, tuple[str, ...]]]] = {}
_TEXTS_MAX = 4096


def _described(condition) -> tuple[str, tuple[str, ...]]:
    """Return a condition's text and the facts it reads (memoised by the condition object, then its JSON)."""
    # The entry holds the condition itself, so its id cannot be reused by another object meanwhile.
    held = _BY_ID.get(id(condition))
    if held is not None and held[0] is condition:
        return held[1]
    key = json.dumps(condition, sort_keys=True, ensure_ascii=False, default=str)
    found = _TEXTS.get(key)
    if found is None:
        names: set[str] = set()
        text = _text(condition, names)
        found = (text, tuple(sorted(names)))
        if len(_TEXTS) >= _TEXTS_MAX:
            _TEXTS.clear()
        _TEXTS[key] = found
    if len(_BY_ID) >= _TEXTS_MAX:
        _BY_ID.clear()
    _BY_ID[id(condition)] = (condition, found)
    return found


def formula_text(expression) -> str:
    """Return a formula's plain-Chinese text (a benefit's description)."""
    return _text(expression, set())


def _var_of(node) -> str | None:
    """Return the fact path a node reads when it is a bare "var", else None."""
    if isinstance(node, dict) and len(node) == 1 and "var" in node:
        args = node["var"]
        path = args[0] if isinstance(args, list) and args else args
        return path if isinstance(path, str) else None
    return None


def _label(path: str) -> str:
    name, _, key = path.partition(".")
    fact = FACTS.get(name)
    label = fact.label if fact else name
    return f"{label}（{VALUE_LABELS.get(key, key)}）" if key else label


def _unit(path: str | None) -> str:
    fact = FACTS.get((path or "").partition(".")[0])
    return fact.unit or "" if fact else ""


def _value(value, unit: str = "") -> str:
    """Return a literal as it reads in Chinese."""
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value is None:
        return "未知"
    if isinstance(value, list):
        return "、".join(_value(item) for item in value)
    if isinstance(value, dict):
        return "、".join(f"{_value(key)} {_value(count, unit)}" for key, count in value.items())
    if isinstance(value, str):
        return VALUE_LABELS.get(value, value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value}{unit}"


def _text(node, names: set, unit: str = "") -> str:
    """Return the plain-Chinese text of a rule fragment, collecting the facts it reads."""
    if not isinstance(node, dict) or len(node) != 1:
        return _value(node, unit)
    operator, args = next(iter(node.items()))
    args = args if isinstance(args, list) else [args]
    if operator == "var":
        path = _var_of(node) or ""
        names.add(path.partition(".")[0])
        return _label(path)
    if operator in ("==", "!=") and len(args) == 2:
        left, right = args
        path = _var_of(left) or _var_of(right)
        literal = right if _var_of(left) else left
        if path and isinstance(literal, bool) and FACTS.get(path.partition(".")[0], None) is not None:
            fact = FACTS[path.partition(".")[0]]
            if fact.type == "bool":
                names.add(fact.name)
                positive = literal if operator == "==" else not literal
                return fact.label if positive else f"非{fact.label}"
    if operator in SYMBOLS and len(args) >= 2:
        # A literal takes the fact's unit beside a comparison or a sum, not as a factor (× 1000).
        unit = (
            _unit(next((_var_of(arg) for arg in args if _var_of(arg)), None)) if operator not in "*/" else ""
        )
        parts = [_text(arg, names, unit) for arg in args]
        if operator in COMPARISONS and len(parts) == 3:  # between: a < x < b
            return f"{parts[0]} {SYMBOLS[operator]} {parts[1]} {SYMBOLS[operator]} {parts[2]}"
        return f" {SYMBOLS[operator]} ".join(parts)
    if operator == "in" and len(args) == 2:
        needle, haystack = args
        if _var_of(haystack):
            return f"{_text(haystack, names)}包含 {_text(needle, names)}"
        return f"{_text(needle, names)}为 {_text(haystack, names)} 之一"
    if operator in ("and", "or"):
        joiner = " 且 " if operator == "and" else " 或 "
        return "（" + joiner.join(_text(arg, names) for arg in args) + "）"
    if operator == "!":
        return f"并非（{_text(args[0], names)}）" if args else "否"
    if operator == "!!":
        return f"{_text(args[0], names)}" if args else "否"
    if operator in ("min", "max"):
        word = "较小值" if operator == "min" else "较大值"
        return f"{'、'.join(_text(arg, names, unit) for arg in args)}的{word}"
    if operator == "if":
        return "（" + "，".join(_text(arg, names) for arg in args) + "）"
    return _value(args)


def _shown(name: str, value) -> str:
    return "无" if value in ([], {}) else _value(value, _unit(name))


def _actual(reads: tuple[str, ...], values: dict) -> str:
    """Return "（实际 35岁）": the values of the facts a condition read."""
    if not reads:
        return ""
    if len(reads) == 1:
        return f"（实际 {_shown(reads[0], values[reads[0]])}）"
    return "（实际 " + "，".join(f"{FACTS[name].label} {_shown(name, values[name])}" for name in reads) + "）"


def _missing(condition, reads: tuple[str, ...], text: str, hints: dict, values: dict) -> str:
    """Return what a failed condition needs, in plain Chinese: the policy's hint, the fact's, or the text."""
    for name in reads:
        if hints.get(name):
            return hints[name]
    if len(reads) == 1:
        fact = FACTS[reads[0]]
        value = values.get(fact.name)
        operator, args = (
            next(iter(condition.items())) if isinstance(condition, dict) and len(condition) == 1 else ("", [])
        )
        if fact.type == "list" and operator == "in" and isinstance(args, list) and isinstance(args[0], str):
            label = VALUE_LABELS.get(args[0], args[0])
            return f"需经认定属于{label}" if fact.name == "key_groups" else f"需属于{label}"
        wants_true = fact.type == "bool" and operator == "==" and True in args
        # The fact's hint says what to do when it is unknown (no registration yet), not when it is too small.
        if fact.missing_hint and (wants_true or value is None or (fact.type == "bool" and operator == "!!")):
            return fact.missing_hint
    return f"需满足：{text}"
