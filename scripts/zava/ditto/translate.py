"""DQL from the typed sample query calls (zava.reads.calls): what an app asks its local store.

A call's DQL core is what DQL can express of it: its filter, sort and limit, or its $group sums by one
key. Projections, $lookup, $unwind and $project go (DQL has no joins: an app reads names from its own
collections, and SELECT * hands it whole documents); a sort on a projected name is resolved to the
field it came from. The core is a typed call itself: `to_dql` renders it, and the local Ditto check
(zava.verify.ditto_local) runs it against MongoDB for its expected rows.

The shapes translated are the ones the queries use: equality, $gte/$gt/$lte/$lt/$ne, $in, $expr
comparisons (LOW_STOCK), dotted paths, $sum of a field, of 1 (COUNT) or of arithmetic, $avg of a field,
$substrBytes, and a $group key that is a field, an expression or several joined with `|`
(Aggregate.key_names). Anything else raises, so a new query shape is
translated on purpose, not guessed at. A filter on the field a collection's Ditto `_id` is made of
(the connector's ID mapping) reads `_id`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from zava.errors import KitError
from zava.model.collections import COLLECTIONS
from zava.reads.calls import KEY_SEPARATOR, Aggregate, Call, Find, FindOne, Param, key_names, named_key
from zava.reads.queries import SampleQuery

COMPARISONS = {"$eq": "=", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
ARITHMETIC = {"$add": ("+", 1), "$subtract": ("-", 1), "$multiply": ("*", 2)}  # operator, precedence
JOIN_STAGES = ("$lookup", "$unwind", "$project")  # what DQL leaves to the app
_ID_FIELD = {c.name: c.id_fields[0] for c in COLLECTIONS if len(c.id_fields) == 1 and c.id_fields != ("_id",)}


def _unsupported(what: Any) -> KitError:
    return KitError(f"no DQL translation for {json.dumps(what, default=str)}")


# ---------------------------------------------------------------- the DQL core of a call


def _renames(pipeline: list[dict]) -> dict[str, str]:
    """Names a $project gives to fields ("shelf": "$location.shelf"), back to the fields."""
    names: dict[str, str] = {}
    for stage in pipeline:
        for name, value in stage.get("$project", {}).items():
            if isinstance(value, str) and value.startswith("$"):
                names[name] = value[1:]
    return names


def stages(call: Aggregate) -> dict[str, Any]:
    """The pipeline's stages by name, without what DQL leaves to the app: [$match] [$group] [$sort] [$limit]."""
    kept = [s for s in call.pipeline if not any(k in s for k in JOIN_STAGES)]
    names = [next(iter(s)) for s in kept]
    allowed = [n for n in ("$match", "$group", "$sort", "$limit") if n in names]
    if any(len(s) != 1 for s in kept) or names != allowed:
        raise _unsupported(call.pipeline)
    return {k: v for s in kept for k, v in s.items()}


def core(call: Call) -> Call:
    """What DQL asks of a call: no projection, no joins; an aggregate without $group becomes a Find."""
    if isinstance(call, FindOne):
        return FindOne(collection=call.collection, filter=call.filter)
    if isinstance(call, Find):
        return Find(collection=call.collection, filter=call.filter, sort=call.sort, limit=call.limit)
    kept, renames = stages(call), _renames(call.pipeline)
    sort = {renames.get(name, name): direction for name, direction in kept.get("$sort", {}).items()}
    if "$group" in kept:
        if sort:
            kept["$sort"] = sort
        pipeline = [{name: value} for name, value in kept.items()]
        return Aggregate(collection=call.collection, pipeline=pipeline, key_names=call.key_names)
    return Find(
        collection=call.collection, filter=kept.get("$match", {}), sort=sort or None, limit=kept.get("$limit", 0)
    )


def columns(call: Call, row: Mapping[str, Any]) -> dict[str, Any]:
    """A MongoDB row of a core call under its DQL column names: a $group's `_id` split into the key's parts."""
    if not isinstance(call, Aggregate):
        return dict(row)
    return named_key(row, key_names(call))


def order_by(call: Call) -> list[tuple[str, int]]:
    """The core call's ORDER BY as (column or dotted path, direction); a $group's `_id` is its key's parts."""
    if isinstance(call, Find):
        return list((call.sort or {}).items())
    if isinstance(call, Aggregate):
        sort, names = stages(call).get("$sort", {}), key_names(call)
        return [(c, d) for name, d in sort.items() for c in (names if name == "_id" else (name,))]
    return []


# ---------------------------------------------------------------- rendering


def literal(value: Any) -> str:
    """A DQL literal, or :name for a parameter."""
    if isinstance(value, Param):
        return f":{value.name}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise _unsupported(value)


def _field(collection: str, path: str) -> str:
    """A field in DQL: the one a collection's Ditto `_id` is made of (connector ID mapping) is `_id`."""
    return "_id" if _ID_FIELD.get(collection) == path else path


def expression(value: Any, precedence: int = 0) -> str:
    """An aggregation expression in DQL: "$field", numbers, comparisons, + - *, $substrBytes."""
    if isinstance(value, str) and value.startswith("$"):
        return value[1:]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    if isinstance(value, Mapping) and len(value) == 1:
        ((op, args),) = value.items()
        if op in COMPARISONS and len(args) == 2:
            return f"{expression(args[0])} {COMPARISONS[op]} {expression(args[1])}"
        if op in ARITHMETIC and len(args) >= 2:
            symbol, binds = ARITHMETIC[op]
            # the right operand of - needs parentheses at its own precedence: a - (b - c)
            operands = [expression(a, binds + (i > 0 and op == "$subtract")) for i, a in enumerate(args)]
            text = f" {symbol} ".join(operands)
            return f"({text})" if binds < precedence else text
        if op == "$substrBytes" and len(args) == 3:
            return f"SUBSTR({expression(args[0])}, {int(args[1])}, {int(args[2])})"
    raise _unsupported(value)


def where(collection: str, filter_: Mapping[str, Any]) -> str:
    """A filter as DQL conditions joined with AND, in the filter's order."""
    conditions = []
    for key, value in filter_.items():
        if key == "$expr":
            conditions.append(expression(value))
            continue
        if key.startswith("$"):
            raise _unsupported({key: value})
        name = _field(collection, key)
        if not isinstance(value, Mapping):
            conditions.append(f"{name} = {literal(value)}")
            continue
        for op, operand in value.items():
            if op in COMPARISONS:
                conditions.append(f"{name} {COMPARISONS[op]} {literal(operand)}")
            elif op == "$in":
                conditions.append(f"{name} IN {literal(operand if isinstance(operand, Param) else list(operand))}")
            else:
                raise _unsupported({key: value})
    return " AND ".join(conditions)


def _statement(
    select: str,
    collection: str,
    filter_: Mapping[str, Any],
    order: list[tuple[str, int]],
    limit: int,
    group: Sequence[str] = (),
) -> str:
    text = f"SELECT {select} FROM {collection}"
    if filter_:
        text += f" WHERE {where(collection, filter_)}"
    if group:
        text += f" GROUP BY {', '.join(group)}"
    if order:
        text += " ORDER BY " + ", ".join(name + (" DESC" if d < 0 else "") for name, d in order)
    return text + (f" LIMIT {limit}" if limit else "")


def to_dql(call: Call) -> str:
    """One DQL statement for a call (its core: see `core`)."""
    call = core(call)
    if isinstance(call, FindOne):
        return _statement("*", call.collection, call.filter, [], 0)
    if isinstance(call, Find):
        return _statement("*", call.collection, call.filter, order_by(call), call.limit)
    kept = stages(call)
    group, names = kept["$group"], key_names(call)
    key = group["_id"]
    joined = key["$concat"] if isinstance(key, Mapping) and set(key) == {"$concat"} else [key]
    parts = joined[::2]  # "a|b" is {"$concat": [a, "|", b]}
    if joined[1::2] != [KEY_SEPARATOR] * (len(parts) - 1):
        raise _unsupported(key)
    keys = [expression(p) for p in parts]
    selected = [k if k == n else f"{k} AS {n}" for k, n in zip(keys, names)]
    for name, accumulator in group.items():
        if name == "_id":
            continue
        ((op, argument),) = accumulator.items() if len(accumulator) == 1 else [(None, None)]
        if op == "$sum":
            selected.append(f"COUNT(*) AS {name}" if argument == 1 else f"SUM({expression(argument)}) AS {name}")
        elif op == "$avg":
            selected.append(f"AVG({expression(argument)}) AS {name}")
        else:
            raise _unsupported(accumulator)
    match, limit = kept.get("$match", {}), kept.get("$limit", 0)
    return _statement(", ".join(selected), call.collection, match, order_by(call), limit, keys)


def query_statements(query: SampleQuery) -> tuple[str, ...]:
    """The query's DQL statements, one per call an app makes: each is its own execute call."""
    return tuple(to_dql(call) for call in query.ditto_calls())
