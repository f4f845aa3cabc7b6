"""The typed calls as mongosh text: what SAMPLE_QUERIES.md shows for each sample query."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from zava.reads.calls import Call, Earlier, Find, FindOne, substitute
from zava.reads.queries import SampleQuery


class JsCode(str):
    """JavaScript that stands in mongosh text as it is: a constant's name, an earlier result's field."""


def js(value: Any) -> str:
    """A value as JavaScript: JSON, except JsCode, which stands as it is."""
    if isinstance(value, JsCode):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(k)}: {js(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(js(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def pipeline_js(stages: list[dict[str, Any]]) -> str:
    return "[\n" + ",\n".join(f"  {js(stage)}" for stage in stages) + "\n]"


def earlier_js(marker: Earlier, results: tuple[str, ...]) -> JsCode:
    """An Earlier marker as JavaScript over the constant holding that result."""
    name = results[marker.step] if results else f"result{marker.step}"
    return JsCode(f"{name}.map(d => d.{marker.field})" if marker.each else f"{name}.{marker.field}")


def render_call(call: Call, values: Mapping[str, Any] | None = None, results: tuple[str, ...] = ()) -> str:
    """The mongosh form of one call: each parameter as `values` gives it (default: the ":name" marker), an
    earlier result read from the constant `results` names."""

    def show(marker: str) -> Any:
        if isinstance(marker, Earlier):
            return earlier_js(marker, results)
        return marker if values is None else values[marker.name]

    call = substitute(call, show)
    target = f"db.{call.collection}"
    if isinstance(call, FindOne):
        projection = "" if call.projection is None else f", {js(call.projection)}"
        return f"{target}.findOne({js(call.filter)}{projection})"
    if isinstance(call, Find):
        text = f"{target}.find({js(call.filter)}, {js(call.projection or {})})"
        if call.sort:
            text += f".sort({js(call.sort)})"
        if call.limit:
            text += f".limit({call.limit})"
        return text
    return f"{target}.aggregate({pipeline_js(call.pipeline)})"


def render_query(query: SampleQuery, values: Mapping[str, Any] | None = None) -> list[str]:
    """The query's mongosh statements: each call but the last kept in a constant, the last one's answer shown."""
    lines = []
    for i, call in enumerate(query.calls):
        text = render_call(call, values, query.results)
        if i < len(query.calls) - 1:
            text = f"const {query.results[i]} = {text}" + ("" if isinstance(call, FindOne) else ".toArray()")
        lines.append(text)
    return lines
