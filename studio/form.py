"""The JobSpec form: one field list, generated from ``field_docs()``, drives every input and the mapping.

Contract:
- ``FIELDS`` is every leaf field of the JobSpec (``field_docs()``), minus ``HIDDEN`` ones that are
  carried over from the loaded preset. A field added to the JobSpec shows up in the form with no UI
  change: its kind (number, choice, checkbox, list, text) comes from its type and its help from its
  description (``studio.train_form`` places it in a section by its dotted prefix).
- ``form_to_spec(base, *values)`` and ``spec_to_form(spec)`` are the only mapping between the form
  and a JobSpec; values travel in FIELDS order and nothing else depends on positions.
- List fields are typed as text: ``q_proj, v_proj`` or YAML (``[q_proj, v_proj]``), parsed with
  the bounded safe loader (``backend.safe_yaml``) only. ``data.sources`` is a table (path, format,
  weight, max_samples, max_epochs, name).
"""

from __future__ import annotations

import copy
import functools
import math

import yaml

from backend.safe_yaml import load_yaml
from backend.spec import DataSource, JobSpec, SpecError, field_docs, spec_from_dict
from studio.field_labels import field_label

HIDDEN = ("version",)  # the spec format version is not a user choice
TABLE_FIELDS = {"data.sources": DataSource}
SOURCE_COLUMNS = list(DataSource.model_fields)


@functools.cache
def docs() -> dict[str, dict]:
    """``field_docs()`` plus each field's form kind (choice, bool, int, float, int?, float?, list, table, text)."""
    out = {}
    for name, doc in field_docs().items():
        out[name] = {**doc, "kind": _kind(name, doc)}
    return out


def _kind(name: str, doc: dict) -> str:
    kind = doc["type"]
    if name in TABLE_FIELDS:
        return "table"
    if doc["choices"]:
        return "choice"
    if kind == "bool":
        return "bool"
    # gr.Number cannot be empty (it sends 0), so an optional number is typed as text; blank means None.
    optional = doc["default"] is None or "None" in kind
    if kind.startswith("int"):
        return "int?" if optional else "int"
    if kind.startswith("float"):
        return "float?" if optional else "float"
    if kind.startswith("list") or kind == "Union":
        return "list"
    return "text"


FIELDS: list[str] = [f for f in field_docs() if f not in HIDDEN]


# ------------------------------------------------------------------------------------------ values


def _parse_list(field: str, text) -> object:
    """A list field's text as a list: ``a, b`` or YAML; blank is [] (or None when optional)."""
    doc = docs()[field]
    if isinstance(text, list):
        return text
    text = (text or "").strip()
    if not text:
        return None if doc["default"] is None else []
    if text.startswith("["):
        try:
            return load_yaml(text)
        except yaml.YAMLError:
            raise SpecError([(field, f"not a valid list (got {text!r}); write e.g. a, b or [a, b]")]) from None
    items = [item.strip() for item in text.split(",") if item.strip()]
    if isinstance(doc["default"], str) and len(items) == 1 and "," not in text:
        return items[0]  # a word the field also accepts on its own, e.g. target_modules: all-linear
    if "int" in doc["type"]:
        return [int(i) if i.lstrip("-").isdigit() else i for i in items]
    return items


def _format_list(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return ", ".join(str(v) for v in value)


def _rows(value) -> list[list]:
    """A table value from the browser (DataFrame, {"headers","data"} dict or list of rows) as rows."""
    if value is None:
        return []
    if hasattr(value, "values") and hasattr(value, "columns"):
        return value.values.tolist()
    if isinstance(value, dict):
        return list(value.get("data") or [])
    return list(value)


def _blank(cell) -> bool:
    return (
        cell is None or (isinstance(cell, float) and math.isnan(cell)) or (isinstance(cell, str) and not cell.strip())
    )


def _parse_table(rows) -> list[dict]:
    out = []
    for row in _rows(rows):
        cells = dict(zip(SOURCE_COLUMNS, list(row) + [None] * len(SOURCE_COLUMNS), strict=False))
        if all(_blank(c) for c in cells.values()):
            continue  # the empty row a user adds and leaves
        source = {k: (v.strip() if isinstance(v, str) else v) for k, v in cells.items() if not _blank(v)}
        for key in ("max_samples",):
            if isinstance(source.get(key), float) and source[key].is_integer():
                source[key] = int(source[key])
        out.append(source)
    return out


def _coerce(field: str, value):
    """A form value as the JobSpec expects it: blank optional text is None, whole floats are ints."""
    doc = docs()[field]
    kind = doc["kind"]
    if kind == "table":
        return _parse_table(value)
    if kind == "list":
        return _parse_list(field, value)
    if kind == "choice":
        return next((c for c in doc["choices"] if str(c) == str(value)), value)
    if kind in ("int?", "float?"):
        return _number(value, int if kind == "int?" else float)
    if isinstance(value, str):
        value = value.strip()
        if not value and (doc["default"] is None or "None" in doc["type"]):
            return None
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _number(value, kind: type):
    """Text of an optional number: blank is None, a number is converted, anything else goes to validation."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value  # the JobSpec names the field and shows what was typed
    return int(number) if kind is int and number.is_integer() else number


def _set(data: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value


def get(data: dict, dotted: str):
    """The value at a dotted path of a spec dict (None when a section is missing)."""
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def form_to_spec(base_spec: JobSpec | dict | None, *values) -> JobSpec:
    """The form's ``values`` (in FIELDS order) laid over ``base_spec``; raises SpecError naming fields."""
    if len(values) != len(FIELDS):
        raise TypeError(f"expected {len(FIELDS)} form values, got {len(values)}")
    data = base_spec.to_dict() if isinstance(base_spec, JobSpec) else copy.deepcopy(base_spec or {})
    errors = []
    for field, value in zip(FIELDS, values, strict=True):
        try:
            _set(data, field, _coerce(field, value))
        except SpecError as exc:
            errors += exc.errors
    try:
        spec = spec_from_dict(data)
    except SpecError as exc:
        # The fields that did not even parse keep their old value above: report them with the rest.
        raise SpecError(errors + [e for e in exc.errors if e[0] not in {f for f, _ in errors}]) from None
    if errors:
        raise SpecError(errors)
    return spec


def spec_to_form(spec: JobSpec) -> list:
    """The form values of ``spec``, in FIELDS order (None text as "", which form_to_spec turns back)."""
    data = spec.to_dict()
    return [to_widget(f, get(data, f)) for f in FIELDS]


def to_widget(field: str, value):
    """One spec value as its input shows it."""
    kind = docs()[field]["kind"]
    if kind == "table":
        return [[row.get(c) for c in SOURCE_COLUMNS] for row in value or []]
    if kind == "list":
        return _format_list(value)
    if kind == "choice":
        return None if value is None else str(value)
    if kind in ("text", "int?", "float?") and value is None:
        return ""
    if kind in ("int?", "float?"):
        return str(value)
    return value


def label(field: str, language: str) -> str:
    """The label of a form field in ``language``."""
    return field_label(field, language)
