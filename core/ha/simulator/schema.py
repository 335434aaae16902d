"""A tiny stand-in for voluptuous that produces the same humanized error texts HA sends.

HA validates with vol.Schema (extra keys forbidden) and reports `humanize_error(msg, err)`:
"<message>[ for dictionary value] @ data['key']. Got <repr of the offending value>", several errors sorted
and joined with newlines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

_MAX_ITEM_LENGTH = 500  # voluptuous.humanize MAX_VALIDATION_ERROR_ITEM_LENGTH
NO_DEFAULT: Any = object()


class SchemaError(Exception):
    """The message did not match the command schema; str() is the humanized error."""


@dataclass
class Invalid(Exception):
    """A value failed a check. `path` goes below the key; `direct` adds " for dictionary value"."""

    message: str
    value: Any
    path: tuple[Any, ...] = field(default=())
    direct: bool = True


Check = Callable[[Any], Any]
"""Returns the (possibly coerced) value or raises Invalid."""


@dataclass(frozen=True)
class Key:
    name: str
    check: Check
    required: bool = False
    default: Any = NO_DEFAULT


def got(value: Any) -> str:
    """Return voluptuous' summary of the offending value."""
    text = repr(value)
    return text if len(text) <= _MAX_ITEM_LENGTH else text[: _MAX_ITEM_LENGTH - 3] + "..."


def path_text(path: Sequence[Any]) -> str:
    """Return " @ data['a'][0]" for a path."""
    return " @ data" + "".join(f"[{part!r}]" for part in path) if path else ""


def validate(data: Any, keys: Sequence[Key]) -> dict[str, Any]:
    """Validate a message dict against `keys` (extra keys forbidden); returns it with defaults filled."""
    if not isinstance(data, dict):
        raise SchemaError(f"expected a dictionary. Got {got(data)}")
    known = {key.name: key for key in keys}
    errors: list[str] = []
    out: dict[str, Any] = {}
    for name, value in data.items():
        key = known.get(name)
        if key is None:
            errors.append(f"extra keys not allowed{path_text([name])}. Got {got(value)}")
            continue
        try:
            out[name] = key.check(value)
        except Invalid as err:
            kind = " for dictionary value" if err.direct else ""
            errors.append(f"{err.message}{kind}{path_text([name, *err.path])}. Got {got(err.value)}")
    for key in keys:
        if key.name in data:
            continue
        if key.required:
            errors.append(f"required key not provided{path_text([key.name])}. Got None")
        elif key.default is not NO_DEFAULT:
            out[key.name] = key.default
    if errors:
        raise SchemaError("\n".join(sorted(errors)))
    return out


def is_str(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("expected str", value)
    return value


def is_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("expected bool", value)
    return value


def positive_int(value: Any) -> int:
    """cv.positive_int: vol.All(vol.Coerce(int), vol.Range(min=0))."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid("expected int", value) from None
    if number < 0:
        raise Invalid("value must be at least 0", value)
    return number


def str_list(value: Any) -> list[str]:
    """[str]"""
    if not isinstance(value, list):
        raise Invalid("expected a list", value)
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise Invalid("expected str", item, (index,), direct=False)
    return value


def str_int_map(value: Any) -> dict[str, int]:
    """{str: int}"""
    if not isinstance(value, dict):
        raise Invalid("expected a dictionary", value)
    for name, item in value.items():
        if not isinstance(item, int):
            raise Invalid("expected int for dictionary value", item, (name,), direct=False)
    return value


def literal(expected: str) -> Check:
    """A schema value that must equal `expected` (like vol.Required("type"): "auth")."""

    def check(value: Any) -> Any:
        if value != expected:
            raise Invalid("not a valid value", value)
        return value

    return check
