"""SELECTs and UPDATEs compiled once per database, run again with other values: the read-side twin of hub.rows.

Django compiles a QuerySet's SQL afresh every time it is evaluated: it resolves every lookup, walks every
select_related join, orders, quotes and converts. On the secure-mail reply path that bookkeeping cost more than
the four SELECTs and the UPDATE themselves (decision 0018). A `PreparedSelect` is an ordinary QuerySet whose
changing values are `Param`s: it is compiled on first use per database alias, and each run only prepares the
values (the field's `get_db_prep_value`, as a lookup does), executes the SQL text and turns the rows into model
instances (with their select_related objects) or value tuples through the compiler's own converters and
populators — what iterating the QuerySet does, without compiling it again. `PreparedUpdate` does the same for an
UPDATE of a filtered QuerySet. `PreparedIn` is either of them with list parameters (`pk__in=...`): the SQL of an
`IN (…)` depends on the length of its list, so it is compiled once per database and length (decision 0025).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql import UpdateQuery

M = TypeVar("M", bound=Model)
Q = TypeVar("Q", bound="PreparedSelect[Any] | PreparedUpdate[Any]")


@dataclass(frozen=True)
class _Slot:
    """Where a Param's value goes in the compiled parameters."""

    name: str
    field: Field[Any, Any] | None


class Param(Expression):
    """A value given when the prepared query runs, prepared for the database as `field` prepares its values."""

    def __init__(self, name: str, field: Field[Any, Any] | None = None) -> None:
        super().__init__(output_field=field)
        self.name = name
        self.prep_field = field

    # The parameter is a slot, not a value: the stubs' (str | int, ...) does not hold it.
    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        return "%s", [_Slot(self.name, self.prep_field)]

    def __repr__(self) -> str:
        return f"Param({self.name!r})"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    converters: dict[int, Any] | None = None
    model_slice: slice | None = None
    init_list: tuple[str, ...] = ()
    populators: tuple[Any, ...] = ()


def _values(compiled: _Compiled, values: Mapping[str, Any], connection: BaseDatabaseWrapper) -> list[Any]:
    params = []
    for param in compiled.params:
        if isinstance(param, _Slot):
            value = values[param.name]
            param = value if param.field is None else param.field.get_db_prep_value(value, connection)
        params.append(param)
    return params


def _converted(rows: list[Any], converters: dict[int, Any], connection: BaseDatabaseWrapper) -> list[Any]:
    # SQLCompiler.apply_converters, with this thread's connection rather than the compiling thread's.
    converted = []
    for row in map(list, rows):
        for position, (functions, expression) in converters.items():
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        converted.append(row)
    return converted


class _Prepared(Generic[M]):
    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> _Compiled:
        raise NotImplementedError

    def _for(self, alias: str) -> _Compiled:
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias)
                if compiled is None:
                    compiled = self._compiled[alias] = self._compile(alias)
        return compiled


class PreparedSelect(_Prepared[M]):
    """`queryset` (filters holding `Param`s) compiled once per database; `objects(...)` or `rows(...)` runs it.

    `objects` gives model instances as iterating the QuerySet would (select_related objects attached); `rows`
    gives the value tuples of a `values_list` QuerySet. Slicing is compiled in ([:1] is LIMIT 1).
    """

    def __init__(self, queryset: QuerySet[M, Any]) -> None:
        super().__init__(queryset.model)
        self._queryset = queryset
        self._model_rows = queryset._iterable_class is ModelIterable

    def _compile(self, alias: str) -> _Compiled:
        compiler = self._queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        fields = [column[0] for column in compiler.select[0:compiler.col_count]]
        converters = compiler.get_converters(fields)
        if not self._model_rows:
            return _Compiled(sql=sql, params=tuple(params), converters=converters)
        select, klass_info = compiler.select, compiler.klass_info
        assert klass_info is not None
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        return _Compiled(
            sql=sql, params=tuple(params), converters=converters, model_slice=slice(start, end),
            init_list=tuple(column[0].target.attname for column in select[start:end]),
            # Django 5.2 takes three arguments; the installed stubs describe 6.0's (with fetch_mode).
            populators=tuple(get_related_populators(klass_info, select, alias)),  # type: ignore[call-arg]
        )

    def _run(self, values: Mapping[str, Any]) -> tuple[_Compiled, str, list[Any]]:
        alias = router.db_for_read(self.model)
        compiled = self._for(alias)
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, _values(compiled, values, connection))
            rows: list[Any] = cursor.fetchall()
        if compiled.converters:
            rows = _converted(rows, compiled.converters, connection)
        return compiled, alias, rows

    def rows(self, **values: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._run(values)[2]]

    def first(self, **values: Any) -> M | None:
        """The first instance `objects` would give, or None (put [:1] in the QuerySet when many rows may match)."""
        found = self.objects(**values)
        return found[0] if found else None

    def objects(self, **values: Any) -> list[M]:
        if not self._model_rows:
            raise TypeError("objects() is for a QuerySet of model instances; use rows() for values_list")
        compiled, alias, rows = self._run(values)
        assert compiled.model_slice is not None
        found = []
        for row in rows:
            obj = self.model.from_db(alias, list(compiled.init_list), row[compiled.model_slice])
            for populator in compiled.populators:
                populator.populate(row, obj)
            found.append(obj)
        return found


class PreparedUpdate(_Prepared[M]):
    """`queryset.update(**changes)` compiled once per database (filters and new values may hold `Param`s);
    `run(...)` executes it inside the caller's transaction and returns the number of rows changed."""

    def __init__(self, queryset: QuerySet[M, Any], **changes: Any) -> None:
        super().__init__(queryset.model)
        query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
        query.add_update_values(changes)
        self._query = query

    def _compile(self, alias: str) -> _Compiled:
        sql, params = self._query.get_compiler(using=alias).as_sql()
        return _Compiled(sql=sql, params=tuple(params))

    def run(self, **values: Any) -> int:
        alias = router.db_for_write(self.model)
        compiled = self._for(alias)
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, _values(compiled, values, connection))
            return int(cursor.rowcount)


class PreparedIn(Generic[Q]):
    """A prepared query whose `lists` are lists of values (an `__in` lookup): compiled per database and length.

    `build` gets, for each list, that many `Param`s and returns the PreparedSelect or PreparedUpdate to compile:

        LOCK = PreparedIn(lambda ids: PreparedSelect(Message.objects.filter(pk__in=ids)), ids=Message._meta.pk)
        LOCK.query(ids=[...]).objects(**values)   # or LOCK.objects(ids=[...]) / rows / run

    The batch paths (delivery, notices, claims) run the same few statements with one to a hundred ids each time;
    compiling them cost more than running them (decision 0025). An empty list matches nothing, as `__in=[]` does;
    there the statement is not run at all. Repeated values in a list are taken once.
    """

    def __init__(self, build: Callable[..., Q], **lists: Field[Any, Any] | None) -> None:
        self._build = build
        self._lists = lists
        self._by_length: dict[tuple[int, ...], Q] = {}
        self._lock = threading.Lock()

    def _bound(self, values: Mapping[str, Any]) -> tuple[Q | None, dict[str, Any]]:
        # An IN list needs each value once; repeats would only make more lengths to compile.
        given = {name: list(dict.fromkeys(values[name])) for name in self._lists}
        flat = {name: value for name, value in values.items() if name not in self._lists}
        for name, items in given.items():
            flat.update((f"{name}[{i}]", item) for i, item in enumerate(items))
        if any(not items for items in given.values()):
            return None, flat
        key = tuple(len(items) for items in given.values())
        prepared = self._by_length.get(key)
        if prepared is None:
            with self._lock:
                prepared = self._by_length.get(key)
                if prepared is None:
                    params = {name: [Param(f"{name}[{i}]", field) for i in range(len(given[name]))]
                              for name, field in self._lists.items()}
                    prepared = self._by_length[key] = self._build(**params)
        return prepared, flat

    def objects(self, **values: Any) -> list[Any]:
        prepared, flat = self._bound(values)
        return [] if prepared is None else cast(PreparedSelect[Any], prepared).objects(**flat)

    def rows(self, **values: Any) -> list[tuple[Any, ...]]:
        prepared, flat = self._bound(values)
        return [] if prepared is None else cast(PreparedSelect[Any], prepared).rows(**flat)

    def run(self, **values: Any) -> int:
        prepared, flat = self._bound(values)
        return 0 if prepared is None else cast(PreparedUpdate[Any], prepared).run(**flat)
