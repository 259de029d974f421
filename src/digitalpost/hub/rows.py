"""INSERT a new row from a model instance with a statement prepared once per model and database.

`Model.objects.create()` compiles its INSERT afresh on every call: it walks the query compiler, resolves each
field as a possible expression and fires the save signals. On the ingest path that bookkeeping cost more than
the writes themselves (decision 0012). `insert` does what an insert through `save()` does to the row — every
concrete field's `pre_save` (defaults, auto_now_add) and `get_db_prep_save`, the database-generated primary key
read back — with the SQL text built once. For models without pre_save/post_save receivers only: nothing is
sent to signal receivers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)
_Convert = Callable[[Model, dict[Any, Any], BaseDatabaseWrapper], Any]


@dataclass(frozen=True)
class _Plan:
    sql: str
    fields: tuple[Field[Any, Any], ...]
    returning: Field[Any, Any] | None  # a primary key the database assigns (AutoField), read back
    returning_clause: bool  # read back with RETURNING (else cursor.lastrowid)
    converters: tuple[_Convert, ...]  # per field: its parameter from the object (`_converter`)
    unnest: str | None  # PostgreSQL: the rows as one array per column, "UNNEST((%s)::uuid[], …)" (_unnest)


_plans: dict[tuple[type[Model], str], _Plan] = {}


def _plan(model: type[Model], connection: BaseDatabaseWrapper) -> _Plan:
    key = (model, connection.alias)
    plan = _plans.get(key)
    if plan is not None:
        return plan
    meta = model._meta
    returning_fields = [field for field in meta.db_returning_fields if field.primary_key]
    returning = returning_fields[0] if returning_fields else None
    fields = tuple(field for field in meta.local_concrete_fields if field is not returning)
    quote = connection.ops.quote_name
    columns = [quote(str(field.column)) for field in fields]  # concrete fields: every one has its column
    # Only the model's own table and column names, quoted by the backend, go into the text; values are parameters.
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    returning_clause = False
    if returning is not None and connection.features.can_return_columns_from_insert:
        sql = f"{sql} RETURNING {quote(str(returning.column))}"  # PostgreSQL and SQLite ≥ 3.35; else lastrowid
        returning_clause = True
    timestamps = tuple(connection.vendor == "sqlite" and type(field) is models.DateTimeField
                       and not (field.auto_now or field.auto_now_add) for field in fields)
    converters = tuple(_converter(field, _shortcut(field, connection), timestamp)
                       for field, timestamp in zip(fields, timestamps, strict=True))
    plan = _plans[key] = _Plan(sql=sql, fields=fields, returning=returning, returning_clause=returning_clause,
                               converters=converters, unnest=_unnest(fields, connection))
    return plan


def _unnest(fields: Sequence[Field[Any, Any]], connection: BaseDatabaseWrapper) -> str | None:
    """On PostgreSQL, `UNNEST((%s)::type[], …)`: many rows sent as one array parameter per column, as Django's
    own bulk_create sends them (django.db.backends.postgresql.compiler.SQLInsertCompiler.assemble_as_sql, same
    conditions). A multi-row VALUES list has a placeholder per value, and psycopg splits such a statement's text
    in Python on every execute (its parse cache skips long statements): 250 messages cost more in that split than
    everything else of their acceptance. None where a field's type may not fit an array."""
    if connection.vendor != "postgresql":
        return None
    types = []
    for field in fields:
        target = field.target_field if isinstance(field, models.ForeignKey) else field
        if target.get_internal_type() not in connection.data_types:
            return None
        # A placeholder that may depend on the value cannot be one for a whole array; bytea's is a plain %s on
        # PostgreSQL (only other backends' binary_placeholder_sql differ).
        if hasattr(field, "get_placeholder") and not isinstance(field, models.BinaryField):
            return None
        types.append(f"(%b)::{str(field.db_type(connection)).split('(')[0]}[]")
    return f"UNNEST({', '.join(types)})"


def _row_params(obj: Model, plan: _Plan, connection: BaseDatabaseWrapper,
                converted: dict[Any, Any] | None = None) -> list[Any]:
    """The INSERT parameters of `obj`: each field's `get_db_prep_save(pre_save(obj, True))`, through the shortcuts
    where they apply; `converted` holds the SQLite text of timestamps already converted (rows built together)."""
    if converted is None:
        converted = {}
    return [convert(obj, converted, connection) for convert in plan.converters]


def insert(obj: M) -> M:
    """Write the new `obj` as one row (inside the caller's transaction) and return it, saved."""
    model = type(obj)
    alias = router.db_for_write(model, instance=obj)
    connection = connections[alias]
    plan = _plan(model, connection)
    params = _row_params(obj, plan, connection)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        if plan.returning is not None:
            value = cursor.fetchone()[0] if plan.returning_clause else cursor.lastrowid
            setattr(obj, plan.returning.attname, value)
    obj._state.adding = False
    obj._state.db = alias
    return obj


# Rows per multi-row INSERT: bounded by the parameters a statement may carry (SQLite ≥ 3.32 takes 32,766,
# PostgreSQL 65,535) and kept moderate so one statement's text stays small.
MAX_ROWS_PER_INSERT = 500
_MAX_PARAMS = {"sqlite": 32_766, "postgresql": 65_535}


class PreparedRows(Generic[M]):
    """New objects of one model with their INSERT parameters worked out (pre_save, get_db_prep_save) ahead of
    the transaction that writes them, so that transaction holds the database's writer lock only for the SQL."""

    def __init__(self, objs: Sequence[M], *, converted: dict[Any, Any] | None = None) -> None:
        self.objs = list(objs)
        self.alias = router.db_for_write(type(self.objs[0]), instance=self.objs[0]) if self.objs else "default"
        connection = connections[self.alias]
        self.plan = _plan(type(self.objs[0]), connection) if self.objs else None
        # Rows built together mostly share their timestamps: each distinct one is converted once (SQLite stores
        # a datetime as text, and Django's conversion of it is the dearest of a row's plain values). Rows of other
        # models built at the same moment pass the same `converted` (one acceptance's message, events, receipt, job).
        if converted is None:
            converted = {}
        plan = self.plan
        self.params = [_row_params(obj, plan, connection, converted) for obj in self.objs] if plan else []

    def __len__(self) -> int:
        return len(self.objs)

    @classmethod
    def joined(cls, parts: Sequence[PreparedRows[M]]) -> PreparedRows[M]:
        """The rows of several PreparedRows of one model, as one (each part's parameters as they were worked out)."""
        whole: PreparedRows[M] = cls.__new__(cls)
        whole.objs = [obj for part in parts for obj in part.objs]
        whole.params = [params for part in parts for params in part.params]
        filled = [part for part in parts if part.objs]
        whole.alias = filled[0].alias if filled else "default"
        whole.plan = filled[0].plan if filled else None
        return whole

    def where(self, keep: Callable[[M], bool]) -> PreparedRows[M]:
        """Those of the rows `keep` accepts, with the parameters already worked out (decided inside a transaction,
        prepared before it)."""
        kept = [(obj, params) for obj, params in zip(self.objs, self.params, strict=True) if keep(obj)]
        subset: PreparedRows[M] = PreparedRows.__new__(PreparedRows)
        subset.objs = [obj for obj, _ in kept]
        subset.params = [params for _, params in kept]
        subset.alias = self.alias
        subset.plan = self.plan if subset.objs else None
        return subset


# Values that a field's pre_save + get_db_prep_save hand on unchanged (or, for a UUID on SQLite, as its hex),
# by field class: most of a row's columns. Checked by exact type, so anything else (an expression, a lazy string, a
# UUID given as text, a field class that overrides the conversion) still goes through Django's own code.
_TEXT_FIELDS = (models.CharField, models.TextField, models.EmailField, models.SlugField)
_INTEGER_FIELDS = (models.IntegerField, models.PositiveIntegerField, models.PositiveSmallIntegerField,
                   models.SmallIntegerField, models.BigIntegerField, models.PositiveBigIntegerField)
_SAME, _HEX = "same", "hex"
_MISSING = object()
_Shortcut = tuple[type, str] | None


def _shortcut(field: Field[Any, Any], connection: BaseDatabaseWrapper) -> _Shortcut:
    """Which value type `field` stores as it is (or as its hex) on this database; None: ask Django."""
    if type(field).pre_save is not Field.pre_save:
        return None  # a field that fills itself in on save (auto_now, files)
    if isinstance(field, models.ForeignKey):  # stored as its target's value; None stays None
        native = connection.features.has_native_uuid_field
        return (uuid.UUID, _SAME if native else _HEX) if type(field.target_field) is models.UUIDField else None
    kind = type(field)
    if kind in _TEXT_FIELDS:
        return (str, _SAME)
    if kind in _INTEGER_FIELDS and connection.vendor == "sqlite":
        return (int, _SAME)  # PostgreSQL's psycopg wants its own integer types
    if kind is models.BooleanField:
        return (bool, _SAME)
    if kind is models.UUIDField:
        return (uuid.UUID, _SAME if connection.features.has_native_uuid_field else _HEX)
    return None


def _converter(field: Field[Any, Any], shortcut: _Shortcut, timestamp: bool) -> _Convert:
    """`field`'s parameter from an object: `field.get_db_prep_save(field.pre_save(obj, True), connection)`, without
    Django's calls where the value is one the shortcut passes on as it is, a timestamp converted before for a row
    built together with it (`converted`, keyed by the value), or a missing timestamp (NULL, as Django gives it).

    Chosen once per field when its model's plan is made: the choice per value cost more than the conversion it
    saved on the ingest path (decision 0032)."""
    if timestamp:
        return _timestamp_converter(field)
    if shortcut is None:
        return _django_converter(field)
    return _shortcut_converter(field, *shortcut)


def _django_converter(field: Field[Any, Any]) -> _Convert:
    def by_django(obj: Model, converted: dict[Any, Any], connection: BaseDatabaseWrapper) -> Any:
        return field.get_db_prep_save(field.pre_save(obj, True), connection)

    return by_django


def _timestamp_converter(field: Field[Any, Any]) -> _Convert:
    attname, by_django = field.attname, _django_converter(field)

    def shared_timestamp(obj: Model, converted: dict[Any, Any], connection: BaseDatabaseWrapper) -> Any:
        value = getattr(obj, attname)
        if value is None:
            return None
        if type(value) is not datetime:
            return by_django(obj, converted, connection)
        found = converted.get(value, _MISSING)
        if found is _MISSING:
            found = converted[value] = field.get_db_prep_save(value, connection)
        return found

    return shared_timestamp


def _shortcut_converter(field: Field[Any, Any], kind: type, how: str) -> _Convert:
    attname, by_django = field.attname, _django_converter(field)
    foreign_key = isinstance(field, models.ForeignKey)  # None stays None
    if how == _HEX:
        def as_hex(obj: Model, converted: dict[Any, Any], connection: BaseDatabaseWrapper) -> Any:
            value = getattr(obj, attname)
            if type(value) is kind:
                return cast(uuid.UUID, value).hex
            if value is None and foreign_key:
                return None
            return by_django(obj, converted, connection)

        return as_hex

    def as_it_is(obj: Model, converted: dict[Any, Any], connection: BaseDatabaseWrapper) -> Any:
        value = getattr(obj, attname)
        if type(value) is kind:
            return value
        if value is None and foreign_key:
            return None
        return by_django(obj, converted, connection)

    return as_it_is


def insert_many(rows: Sequence[M] | PreparedRows[M], *, update_conflicts: tuple[Sequence[str], Sequence[str]]
                | None = None) -> list[M]:
    """Write the new objects (all of one model) with multi-row INSERTs, inside the caller's transaction.

    What `insert` does to each row — pre_save, get_db_prep_save, the database-assigned primary key read back
    (RETURNING, in the order of the rows, as Django's bulk_create relies on too) — without the query compiler's
    per-value bookkeeping, which cost more than the writes on the mass-send path (decision 0017). Pass
    PreparedRows to have the parameters worked out before the transaction.

    `update_conflicts=(unique_fields, update_fields)` is bulk_create's upsert: a row whose unique fields match an
    existing row updates that row's `update_fields` instead (ON CONFLICT … DO UPDATE, SQLite and PostgreSQL).
    """
    prepared = rows if isinstance(rows, PreparedRows) else PreparedRows(rows)
    plan, objs = prepared.plan, prepared.objs
    if plan is None:
        return []
    connection = connections[prepared.alias]
    if plan.returning is not None and not plan.returning_clause:
        raise NotImplementedError("insert_many needs INSERT … RETURNING for a database-assigned primary key")
    head, _, tail = plan.sql.partition(" VALUES ")
    row_sql, _, returning = tail.partition(" RETURNING ")
    on_conflict = _on_conflict(type(objs[0]), connection, *update_conflicts) if update_conflicts else ""
    per_statement = max(1, min(MAX_ROWS_PER_INSERT, _MAX_PARAMS.get(connection.vendor, 999) // len(plan.fields)))
    with _cursor(connection, arrays=plan.unnest is not None) as cursor:
        for start in range(0, len(objs), per_statement):
            chunk = objs[start:start + per_statement]
            values = prepared.params[start:start + per_statement]
            if plan.unnest is not None and len(values) > 1 and not any(
                    hasattr(value, "as_sql") for row in values for value in row):  # an expression fits no array
                params: list[Any] = [list(column) for column in zip(*values, strict=True)]
                # Table, columns and their types from the model, quoted by the backend; the values are parameters.
                sql = f"{head} SELECT * FROM {plan.unnest}{on_conflict}"  # noqa: S608
            else:
                params = [value for row in values for value in row]
                sql = f"{head} VALUES {', '.join([row_sql] * len(chunk))}{on_conflict}"
            if returning:
                sql = f"{sql} RETURNING {returning}"
            cursor.execute(sql, params)
            if plan.returning is not None:
                for obj, row in zip(chunk, cursor.fetchall(), strict=True):
                    setattr(obj, plan.returning.attname, row[0])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = prepared.alias
    return objs


def _cursor(connection: BaseDatabaseWrapper, *, arrays: bool) -> Any:
    """A cursor of `connection`; for rows sent as arrays (PostgreSQL), one that binds its parameters on the server.

    Django's psycopg cursor binds parameters on the client (`server_side_binding` off, its default): it quotes
    each value into the statement's text, and an array element by element with a regular expression in Python,
    which cost as much as the VALUES list it replaces. Bound on the server, psycopg sends each array in its own
    format with its C dumpers. The cursor is wrapped as Django wraps its own (execute wrappers, query logging,
    database errors translated)."""
    if not arrays:
        return connection.cursor()
    from django.db.backends.postgresql import base as postgresql

    server_binding: Any = postgresql.ServerBindingCursor  # defined by Django under psycopg 3 only
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return cast(Any, connection)._prepare_cursor(server_binding(connection.connection))


def _on_conflict(model: type[Model], connection: BaseDatabaseWrapper, unique_fields: Sequence[str],
                 update_fields: Sequence[str]) -> str:
    """The ON CONFLICT clause of an upsert on `unique_fields` (field names) that updates `update_fields`."""
    quote = connection.ops.quote_name
    meta = model._meta
    def column(name: str) -> str:
        field = meta.get_field(name)
        assert isinstance(field, Field), name  # a concrete field, not a reverse relation
        return quote(str(field.column))

    target = ", ".join(column(name) for name in unique_fields)
    changes = ", ".join(f"{column(name)} = EXCLUDED.{column(name)}" for name in update_fields)
    return f" ON CONFLICT({target}) DO UPDATE SET {changes}"
