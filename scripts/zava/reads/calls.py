"""Typed MongoDB calls (FindOne, Find, Aggregate) with parameter markers, bound to values when they run.

A call is written once, with its parameters as `Param` markers (":name") and any value read from an
earlier call's result as an `Earlier` marker; `bind` and `bind_earlier` replace them, `run_call` runs
the bound call. The sample queries (zava.reads.queries) are made of these calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from pymongo.database import Database

from zava.errors import KitError

KEY_SEPARATOR = "|"  # joins the parts of a $group key into one string


class Param(str):
    """A parameter in a call: renders as ":name" and is replaced by the value when the call runs."""

    name: str

    def __new__(cls, name: str) -> Param:
        marker = super().__new__(cls, f":{name}")
        marker.name = name
        return marker


class Earlier(str):
    """A value from an earlier call of the same query: `field` of its document, or of each of its documents."""

    step: int
    field: str
    each: bool

    def __new__(cls, step: int, field: str, each: bool = False) -> Earlier:
        marker = super().__new__(cls, f":{field}_from_above")
        marker.step, marker.field, marker.each = step, field, each
        return marker


@dataclass(frozen=True, kw_only=True)
class FindOne:
    collection: str
    filter: Mapping[str, Any]
    projection: Mapping[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class Find:
    collection: str
    filter: Mapping[str, Any]
    projection: Mapping[str, Any] | None = None
    sort: Mapping[str, int] | None = None  # field -> 1 or -1, in order
    limit: int = 0  # 0: no limit


@dataclass(frozen=True, kw_only=True)
class Aggregate:
    collection: str
    pipeline: list[dict[str, Any]]
    # The names of the $group key's parts when the key joins several into one string (`a|b`): the
    # local server treats a document-valued `_id` as a literal. A key "$field" is named by its field.
    key_names: tuple[str, ...] = ()


Call = FindOne | Find | Aggregate


def substitute(value: Any, replace_marker: Callable[[str], Any]) -> Any:
    """The value (a call, a filter, a pipeline) with every marker (Param, Earlier) replaced by `replace_marker`."""
    if isinstance(value, (Param, Earlier)):
        return replace_marker(value)
    if isinstance(value, Mapping):
        return {k: substitute(v, replace_marker) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(substitute(v, replace_marker) for v in value)
    if isinstance(value, (FindOne, Find, Aggregate)):
        return replace(value, **{f.name: substitute(getattr(value, f.name), replace_marker) for f in fields(value)})
    return value


def bind(value: Any, params: object) -> Any:
    """The value with every Param marker replaced by the attribute of `params` it names (Earlier markers stay)."""
    return substitute(value, lambda m: getattr(params, m.name) if isinstance(m, Param) else m)


def bind_earlier(value: Any, earlier: list) -> Any:
    """The value with every Earlier marker replaced by what it reads from the earlier results."""

    def read(marker: str) -> Any:
        if not isinstance(marker, Earlier):
            return marker
        result = earlier[marker.step]
        if result is None:  # a FindOne that found nothing: no value for the calls after it
            raise KitError(f"no document has the {marker.field} a later call reads: nothing matches the parameters")
        return [doc[marker.field] for doc in result] if marker.each else result[marker.field]

    return substitute(value, read)


def markers_in(value: Any) -> list[str]:
    """The markers (Param, Earlier) in a value, in order of first appearance."""
    if isinstance(value, (Param, Earlier)):
        return [value]
    if isinstance(value, Mapping):
        items = list(value.values())
    elif isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, (FindOne, Find, Aggregate)):
        items = [getattr(value, f.name) for f in fields(value)]
    else:
        return []
    return list(dict.fromkeys(marker for item in items for marker in markers_in(item)))


def params_in(value: Any) -> list[str]:
    """The names of the Param markers in a value, in order of first appearance."""
    return [m.name for m in markers_in(value) if isinstance(m, Param)]


def group_stage(call: Aggregate) -> dict[str, Any] | None:
    """The pipeline's $group, if it has one."""
    return next((stage["$group"] for stage in call.pipeline if "$group" in stage), None)


def key_names(call: Aggregate) -> tuple[str, ...]:
    """The names of a $group key's parts: declared, or the field of a "$field" key."""
    group = group_stage(call)
    if group is None:
        return ()
    if call.key_names:
        return call.key_names
    key = group["_id"]
    if isinstance(key, str) and key.startswith("$"):
        return (key[1:],)
    raise KitError(f"{call.collection}: name the parts of the $group key {key!r} in key_names")


def named_key(row: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """A $group row with its `_id` split into the key's named parts."""
    parts = row["_id"].split(KEY_SEPARATOR) if len(names) > 1 else [row["_id"]]
    return {**dict(zip(names, parts, strict=True)), **{k: v for k, v in row.items() if k != "_id"}}


def run_call(db: Database, call: Call) -> Any:
    """One bound call: a document or None (FindOne), or a list of documents."""
    collection = db[call.collection]
    if isinstance(call, FindOne):
        return collection.find_one(call.filter, call.projection)
    if isinstance(call, Find):
        cursor = collection.find(call.filter, call.projection)
        if call.sort:
            cursor = cursor.sort(list(call.sort.items()))
        if call.limit:
            cursor = cursor.limit(call.limit)
        return list(cursor)
    return list(collection.aggregate(call.pipeline))


def make_call(step: Call, params: object, earlier: list) -> Call:
    """The call a step makes with these parameters, after these earlier results."""
    return bind_earlier(bind(step, params), earlier)
