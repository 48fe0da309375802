"""Query arguments of a hot route read without webargs when they are plain, the schema still the rule.

`blp.arguments(schema, location="query")` costs about 70 µs a request (webargs' proxy, then
marshmallow's load), a large share of a nearby search's CPU. `fast_query_arguments` documents
the route exactly as `blp.arguments` does and, when every argument is one the schema's own
fields and validators plainly accept (digits for an integer, a short decimal for a float, a
listed choice, a length in range; each key once, none unknown), loads them directly. Anything
else, an error included, goes through `blp.arguments` unchanged: same answers, same messages.
"""

import re
from functools import wraps

import marshmallow as ma
from flask import request
from marshmallow import validate

DIGITS = re.compile(r"[0-9]{1,9}")
DECIMAL = re.compile(r"-?[0-9]{1,3}(\.[0-9]{1,12})?")


class _Slow(Exception):
    """This value needs the schema: the whole query goes through webargs."""


def _plain(field: ma.fields.Field, base: type) -> bool:
    """Return whether `field` deserialises as `base` does (a subclass adding only metadata)."""
    kind = type(field)
    return (
        isinstance(field, base)
        and kind._deserialize is base._deserialize
        and kind._validated is getattr(base, "_validated", None)
        and kind.deserialize is ma.fields.Field.deserialize
    )


def _validator_check(validator):
    """Return a predicate equal to `validator` on a converted value, or None when not copied here."""
    if isinstance(validator, validate.Range) and validator.min_inclusive and validator.max_inclusive:
        low, high = validator.min, validator.max
        return lambda value: (low is None or value >= low) and (high is None or value <= high)
    if isinstance(validator, validate.OneOf):
        choices = frozenset(validator.choices)
        return lambda value: value in choices
    if isinstance(validator, validate.Length) and validator.equal is None:
        low, high = validator.min, validator.max
        return lambda value: (low is None or len(value) >= low) and (high is None or len(value) <= high)
    return None


def _loader(field: ma.fields.Field):
    """Return a function loading one raw query value the way `field` would, or None."""
    if field.dump_only:
        return None
    if _plain(field, ma.fields.Integer) and not getattr(field, "strict", False):
        pattern, convert = DIGITS, int
    elif _plain(field, ma.fields.Float) and not isinstance(field, ma.fields.Integer):
        pattern, convert = DECIMAL, float
    elif type(field) is ma.fields.String:
        pattern, convert = None, str
    else:
        return None
    checks = [_validator_check(validator) for validator in field.validators]
    if None in checks:
        return None

    def load(raw: str):
        if pattern is not None and not pattern.fullmatch(raw):
            raise _Slow
        value = convert(raw)
        for check in checks:
            if not check(value):
                raise _Slow
        return value

    return load


def compile_query(schema_class: type[ma.Schema]):
    """Return `load(args) -> dict | None` for the schema's plain cases, or None if it has hooks."""
    schema = schema_class()
    if any(schema._hooks.values()):
        return None  # pre_load, validates_schema …: only marshmallow runs them
    loaders, defaults, required = {}, {}, []
    for name, field in schema.fields.items():
        key = field.data_key or name
        loader = _loader(field)
        if loader is None:
            return None
        loaders[key] = (name, loader)
        if field.required:
            required.append(key)
        elif field.load_default is not ma.missing:
            defaults[name] = field.load_default

    def load(args) -> dict | None:
        """Return the loaded arguments, or None when webargs must parse them (anything unusual)."""
        values = {}
        try:
            for key, raw in args.lists():
                if len(raw) != 1 or key not in loaders:
                    return None
                name, loader = loaders[key]
                values[name] = loader(raw[0])
        except _Slow:
            return None
        if any(key not in args for key in required):
            return None
        for name, default in defaults.items():
            if name not in values:
                values[name] = default() if callable(default) else default
        return values

    return load


def fast_query_arguments(blp, schema_class: type[ma.Schema]):
    """Decorate a view as `@blp.arguments(schema_class, location="query")`, with the plain cases fast."""
    load = compile_query(schema_class)

    def decorator(func):
        parsed = blp.arguments(schema_class, location="query")(func)
        if load is None:
            return parsed

        @wraps(parsed)  # keeps the OpenAPI notes blp.arguments made
        def view(*args, **kwargs):
            values = load(request.args)
            if values is None:
                return parsed(*args, **kwargs)
            return func(values, *args, **kwargs)

        return view

    return decorator
