"""The run search grammar: tokenizer, parser (to a small AST) and compiler to SQLAlchemy.

Filter grammar (keywords are case-insensitive)::

    filter     := [comparison ("and" comparison)*]
    comparison := entity ("=" | "!=" | "<>" | "<" | "<=" | ">" | ">=") literal
                | entity ["not"] ("like" | "ilike") string
                | entity ["not"] "in" "(" string ("," string)* ")"
    entity     := ("metrics" | "params" | "tags" | "attributes") "." (key | `quoted key` | "quoted key")
                | status | run_name | start_time | end_time | run_id | user_id
                | parent_run_id                                           (bare attributes)

``tags.mlflow.parentRunId`` is read as ``attributes.parent_run_id`` (MLflow compatibility: the
parent is a column of the run, not a tag, so runs logged before the alias existed match too).

Metrics and the time attributes compare with numbers; params, tags and the other attributes with
single- or double-quoted strings (``''`` inside a string is one quote). An order-by term is an
entity optionally followed by ``asc`` or ``desc``.

User text only ever reaches SQL as bound parameters; errors name the column where parsing failed.
Tokenizing is linear in the length of the text (no token pattern can backtrack over more than
the token it matches), and a filter is limited to ``MAX_FILTER_LENGTH`` characters and
``MAX_FILTER_TERMS`` comparisons, order_by to ``MAX_ORDER_BY_TERMS`` terms: each comparison or
order key on a metric, param or tag is one more join, and databases cap joins (SQLite at 64).
This module is imported lazily (by ``_sql_store``), so importing SQLAlchemy here is fine.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union

import sqlalchemy as sa
from sqlalchemy import Double, and_, literal, not_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join

from autolog._core._exceptions import InvalidInputError
from autolog._core._validation import storable_text

METRIC, PARAM, TAG, ATTRIBUTE = "metric", "param", "tag", "attribute"

_ENTITY_PREFIXES = {
    "metric": METRIC,
    "metrics": METRIC,
    "param": PARAM,
    "params": PARAM,
    "parameter": PARAM,
    "parameters": PARAM,
    "tag": TAG,
    "tags": TAG,
    "attribute": ATTRIBUTE,
    "attributes": ATTRIBUTE,
    "attr": ATTRIBUTE,
    "run": ATTRIBUTE,
}
NUMERIC_ATTRIBUTES = ("start_time", "end_time")
STRING_ATTRIBUTES = ("status", "run_name", "run_id", "user_id", "parent_run_id")
# MLflow records the parent as this tag; here it is the run's parent_run_id attribute.
_TAG_ALIASES = {"mlflow.parentRunId": "parent_run_id"}
MAX_FILTER_LENGTH = 10_000
MAX_FILTER_TERMS = 40
MAX_ORDER_BY_TERMS = 10
_COMPARISON_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")
_STRING_EQUALITY = ("=", "!=")

_TOKEN_PATTERN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_.\-:/]*)
  | (?P<string>'(?:[^']|'')*')
  | (?P<dquoted>"(?:[^"]|"")*")
  | (?P<backticked>`[^`]*`)
  | (?P<operator>!=|<>|<=|>=|==|=|<|>)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
    """,
    re.VERBOSE,
)
# A number may not run into a word ("1a", "1.2.3"): checked after the match, not by a lookahead
# (a lookahead after "\d+\.?\d*" made a long digit run followed by a letter quadratic).
_AFTER_NUMBER = re.compile(r"[A-Za-z0-9_.]")


@dataclass(frozen=True)
class Token:
    kind: str  # number, word, string, dquoted, backticked, operator, lparen, rparen, comma, end
    text: str
    position: int  # 0-based offset into the source text

    def describe(self) -> str:
        return "end of input" if self.kind == "end" else repr(self.text)


@dataclass(frozen=True)
class Entity:
    kind: str  # METRIC, PARAM, TAG or ATTRIBUTE
    key: str

    @property
    def is_numeric(self) -> bool:
        return self.kind == METRIC or (self.kind == ATTRIBUTE and self.key in NUMERIC_ATTRIBUTES)


Value = Union[float, str, tuple]


@dataclass(frozen=True)
class Comparison:
    entity: Entity
    operator: str  # one of _COMPARISON_OPERATORS, LIKE, ILIKE, NOT LIKE, NOT ILIKE, IN, NOT IN
    value: Value


@dataclass(frozen=True)
class OrderTerm:
    entity: Entity
    ascending: bool


# --- tokenizer ---------------------------------------------------------------------------------


class _Source:
    """Tokens of one filter or order-by string, with errors that point into that string."""

    def __init__(self, text: str, what: str):
        self.text = text
        self.what = what
        self.tokens = self._tokenize()
        self.index = 0

    def error(self, token: Token, message: str) -> InvalidInputError:
        return InvalidInputError(
            f"bad {self.what} at column {token.position + 1}: {message}, got {_shortened(token.describe())}"
            f" (in {_shortened(self.text)!r})"
        )

    def _tokenize(self) -> list[Token]:
        tokens = []
        position = 0
        while position < len(self.text):
            match = _TOKEN_PATTERN.match(self.text, position)
            if (
                match is not None
                and match.lastgroup == "number"
                and _AFTER_NUMBER.match(self.text, match.end())
            ):
                match = None
            if match is None:
                char = self.text[position]
                expected = "expected a closing quote" if char in "'\"`" else "expected a valid token"
                raise self.error(Token("char", self.text[position : position + 20], position), expected)
            assert match.lastgroup is not None  # every alternative of _TOKEN_PATTERN is named
            if match.lastgroup != "space":
                tokens.append(Token(match.lastgroup, match.group(), position))
            position = match.end()
        tokens.append(Token("end", "", len(self.text)))
        return tokens

    def peek(self) -> Token:
        return self.tokens[self.index]

    def next(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def next_keyword(self, *words: str) -> str | None:
        """Consume and return the upper-cased keyword if the next token is one of ``words``."""
        token = self.peek()
        if token.kind == "word" and token.text.upper() in words:
            self.index += 1
            return token.text.upper()
        return None


def _shortened(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


# --- parser ------------------------------------------------------------------------------------


def parse_filter(text: str | None) -> list[Comparison]:
    """Parse a filter string into comparisons joined by ``and``; ``""``/``None`` means none."""
    if text is None or not text.strip():
        return []
    if not isinstance(text, str):
        raise InvalidInputError(f"filter must be a string, got {type(text).__name__}")
    storable_text(text, "filter")
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidInputError(f"filter is {len(text)} characters long; the limit is {MAX_FILTER_LENGTH}")
    source = _Source(text, "filter")
    comparisons = [_parse_comparison(source)]
    while source.peek().kind != "end":
        if len(comparisons) >= MAX_FILTER_TERMS:
            raise InvalidInputError(
                f"filter has more than {MAX_FILTER_TERMS} comparisons joined by 'and'; "
                f"the limit is {MAX_FILTER_TERMS}"
            )
        if source.next_keyword("AND") is None:
            token = source.peek()
            if token.kind == "word" and token.text.upper() == "OR":
                raise source.error(token, "'or' is not supported, only 'and'")
            raise source.error(token, "expected 'and' or the end of the filter")
        comparisons.append(_parse_comparison(source))
    return comparisons


def parse_order_by(terms: list[str] | tuple[str, ...] | str | None) -> list[OrderTerm]:
    """Parse order-by strings such as ``"metrics.acc DESC"`` or ``"params.C"``."""
    if terms is None:
        return []
    if isinstance(terms, str):
        terms = [terms]
    terms = list(terms)
    if len(terms) > MAX_ORDER_BY_TERMS:
        raise InvalidInputError(f"order_by has {len(terms)} terms; the limit is {MAX_ORDER_BY_TERMS}")
    parsed = []
    for term in terms:
        if not isinstance(term, str):
            raise InvalidInputError(f"order_by entries must be strings, got {term!r}")
        storable_text(term, "order_by term")
        if len(term) > MAX_FILTER_LENGTH:
            raise InvalidInputError(
                f"order_by term is {len(term)} characters; the limit is {MAX_FILTER_LENGTH}"
            )
        source = _Source(term, "order_by")
        entity = _parse_entity(source)
        direction = source.next_keyword("ASC", "DESC")
        if source.peek().kind != "end":
            raise source.error(source.peek(), "expected ASC, DESC or the end of the term")
        parsed.append(OrderTerm(entity, ascending=direction != "DESC"))
    return parsed


def _parse_comparison(source: _Source) -> Comparison:
    entity = _parse_entity(source)
    if entity.is_numeric:
        return _parse_numeric_comparison(source, entity)
    return _parse_string_comparison(source, entity)


def _parse_entity(source: _Source) -> Entity:
    token = source.next()
    if token.kind != "word":
        raise source.error(token, "expected an entity such as metrics.acc, params.C or tags.x")
    prefix, dot, key = token.text.partition(".")
    if not dot:
        if token.text.lower() in NUMERIC_ATTRIBUTES + STRING_ATTRIBUTES:
            return Entity(ATTRIBUTE, token.text.lower())
        raise source.error(
            token, "expected an entity such as metrics.acc, params.C, tags.x or attributes.status"
        )
    kind = _ENTITY_PREFIXES.get(prefix.lower())
    if kind is None:
        raise source.error(token, "expected 'metrics.', 'params.', 'tags.' or 'attributes.'")
    if not key:
        key = _parse_quoted_key(source)
    if kind == ATTRIBUTE:
        return _attribute_entity(source, token, key)
    if kind == TAG and key in _TAG_ALIASES:
        return Entity(ATTRIBUTE, _TAG_ALIASES[key])
    return Entity(kind, key)


def _parse_quoted_key(source: _Source) -> str:
    token = source.next()
    if token.kind == "backticked":
        key = token.text[1:-1]
    elif token.kind == "dquoted":
        key = token.text[1:-1].replace('""', '"')
    else:
        raise source.error(token, "expected a key, plain or in backticks")
    if not key:
        raise source.error(token, "expected a non-empty key")
    return key


def _attribute_entity(source: _Source, token: Token, key: str) -> Entity:
    name = key.lower()
    if name not in NUMERIC_ATTRIBUTES + STRING_ATTRIBUTES:
        allowed = ", ".join(NUMERIC_ATTRIBUTES + STRING_ATTRIBUTES)
        raise source.error(token, f"expected an attribute among {allowed}")
    return Entity(ATTRIBUTE, name)


def _parse_numeric_comparison(source: _Source, entity: Entity) -> Comparison:
    operator = _parse_operator(source, _COMPARISON_OPERATORS, "a comparison operator")
    token = source.next()
    if token.kind != "number":
        raise source.error(token, f"expected a number to compare {_describe(entity)} with")
    return Comparison(entity, operator, float(token.text))


def _parse_string_comparison(source: _Source, entity: Entity) -> Comparison:
    negated = source.next_keyword("NOT")
    keyword = source.next_keyword("LIKE", "ILIKE", "IN")
    if keyword is None and negated:
        raise source.error(source.peek(), "expected LIKE, ILIKE or IN after NOT")
    if keyword is None:
        operator = _parse_operator(source, _STRING_EQUALITY, "one of =, !=, LIKE, ILIKE, IN, NOT IN")
        return Comparison(entity, operator, _parse_string(source, entity))
    operator = f"NOT {keyword}" if negated else keyword
    if keyword == "IN":
        return Comparison(entity, operator, _parse_string_list(source, entity))
    return Comparison(entity, operator, _parse_string(source, entity))


def _parse_operator(source: _Source, allowed: tuple[str, ...], expected: str) -> str:
    token = source.peek()
    operator = {"<>": "!=", "==": "="}.get(token.text, token.text)
    if token.kind != "operator" or operator not in allowed:
        raise source.error(token, f"expected {expected}")
    source.next()
    return operator


def _parse_string(source: _Source, entity: Entity) -> str:
    token = source.next()
    if token.kind == "string":
        return token.text[1:-1].replace("''", "'")
    if token.kind == "dquoted":
        return token.text[1:-1].replace('""', '"')
    raise source.error(token, f"expected a quoted string to compare {_describe(entity)} with")


def _parse_string_list(source: _Source, entity: Entity) -> tuple[str, ...]:
    token = source.next()
    if token.kind != "lparen":
        raise source.error(token, "expected '(' after IN")
    values = [_parse_string(source, entity)]
    while True:
        token = source.next()
        if token.kind == "rparen":
            return tuple(values)
        if token.kind != "comma":
            raise source.error(token, "expected ',' or ')' in the IN list")
        values.append(_parse_string(source, entity))


def _describe(entity: Entity) -> str:
    prefix = {METRIC: "metrics", PARAM: "params", TAG: "tags", ATTRIBUTE: "attributes"}
    return f"{prefix[entity.kind]}.{entity.key}"


# --- compiler ----------------------------------------------------------------------------------


WINDOW_BOUNDARY = "window_boundary"


@dataclass
class SearchQueries:
    """The SELECTs behind one search (without LIMIT/OFFSET).

    ``full`` is always correct: every matching run, ordered (runs missing an order key last).
    ``boundary`` and ``window`` are a shortcut for SQLite when the first order term has an index
    in that order (a metric/param/tag key, or ``start_time``): ``boundary`` (given ``budget`` and
    ``boundary_offset`` parameters) finds the order value ``budget`` index entries down;
    ``window`` returns the matching runs up to that value (ties included), scanning the index in
    order, so it is a prefix of ``full``. It is used when it yields a whole page.
    """

    full: object
    count: object
    boundary: object = None
    window: object = None


def build_search_queries(
    comparisons: list[Comparison],
    order_terms: list[OrderTerm],
    *,
    columns: tuple,
    base_conditions: list,
    runs,
    key_value_tables: dict,
    attribute_column: Callable[[str], object],
    nullable_attributes: tuple[str, ...],
    dialect_name: str,
) -> SearchQueries:
    """Compile parsed comparisons and order terms into SQLAlchemy SELECTs.

    ``key_value_tables`` maps METRIC/PARAM/TAG to the latest_metrics/params/tags tables;
    ``attribute_column`` maps an attribute name to its column or SQL expression (the status one
    already accounts for stale heartbeats).
    """
    compiler = _Compiler(runs, key_value_tables, attribute_column, nullable_attributes, dialect_name)
    filtered, conditions = compiler.join_filters(runs, comparisons, fixed_order=False)
    conditions = base_conditions + conditions
    count = sa.select(sa.func.count()).select_from(filtered).where(*conditions)
    from_clause, order_by = compiler.order(filtered, order_terms)
    full = sa.select(*columns).select_from(from_clause).where(*conditions).order_by(*order_by)
    queries = SearchQueries(full, count)
    if dialect_name == "sqlite":
        first = order_terms[0] if order_terms else OrderTerm(Entity(ATTRIBUTE, "start_time"), False)
        if first.entity.kind != ATTRIBUTE:
            _add_key_window(queries, compiler, first, comparisons, order_terms, columns, base_conditions)
        elif first.entity.key == "start_time":
            _add_start_time_window(
                queries, compiler, first, comparisons, order_terms, columns, base_conditions
            )
    return queries


def _beyond(column, ascending: bool):
    """``column`` is at or before the window boundary in this direction."""
    boundary: sa.BindParameter[Any] = sa.bindparam(WINDOW_BOUNDARY)
    return column <= boundary if ascending else column >= boundary


def _boundary_query(column, conditions, ascending: bool):
    return (
        sa.select(column)
        .where(*conditions)
        .order_by(column.asc() if ascending else column.desc())
        .limit(1)
        .offset(sa.bindparam("boundary_offset"))
    )


def _add_key_window(queries, compiler, first, comparisons, order_terms, columns, base_conditions):
    runs = compiler.runs
    table = compiler.tables[first.entity.kind]
    ordered = table.alias("o_first")
    key_matches = [ordered.c.key == literal(first.entity.key), ordered.c.value.is_not(None)]
    on = and_(ordered.c.run_id == runs.c.run_id, *key_matches, _beyond(ordered.c.value, first.ascending))
    window, window_conditions = compiler.join_filters(
        FixedOrderJoin(ordered, runs, on), comparisons, fixed_order=True
    )
    window, rest_order = compiler.order(window, order_terms[1:])
    value_order = ordered.c.value.asc() if first.ascending else ordered.c.value.desc()
    queries.window = (
        sa.select(*columns)
        .select_from(window)
        .where(*base_conditions, *window_conditions)
        .order_by(value_order, *rest_order)
    )
    queries.boundary = _boundary_query(ordered.c.value, key_matches, first.ascending)


def _add_start_time_window(queries, compiler, first, comparisons, order_terms, columns, base_conditions):
    runs = compiler.runs
    window, window_conditions = compiler.join_filters(runs, comparisons, fixed_order=True)
    window, order_by = compiler.order(window, order_terms)
    queries.window = (
        sa.select(*columns)
        .select_from(window)
        .where(*base_conditions, _beyond(runs.c.start_time, first.ascending), *window_conditions)
        .order_by(*order_by)
    )
    queries.boundary = _boundary_query(runs.c.start_time, base_conditions, first.ascending)


class _Compiler:
    def __init__(self, runs, key_value_tables, attribute_column, nullable_attributes, dialect_name):
        self.runs = runs
        self.tables = key_value_tables
        self.attribute_column = attribute_column
        self.nullable_attributes = nullable_attributes
        self.dialect_name = dialect_name

    def join_filters(self, from_clause, comparisons: list[Comparison], *, fixed_order: bool):
        """Join one alias per metric/param/tag comparison; attribute comparisons go to WHERE."""
        conditions = []
        for number, comparison in enumerate(comparisons):
            entity = comparison.entity
            if entity.kind == ATTRIBUTE:
                column = self.attribute_column(entity.key)
                conditions.append(_condition(column, comparison, self.dialect_name))
                continue
            alias = self.tables[entity.kind].alias(f"f{number}")
            on = and_(
                alias.c.run_id == self.runs.c.run_id,
                alias.c.key == literal(entity.key),
                _condition(alias.c.value, comparison, self.dialect_name),
            )
            if fixed_order:
                from_clause = FixedOrderJoin(from_clause, alias, on)
            else:
                from_clause = from_clause.join(alias, on)
        return from_clause, conditions

    def order(self, from_clause, order_terms: list[OrderTerm]):
        """Outer-join the order keys; runs without a key (NULL) sort last in both directions."""
        order_by = []
        for number, term in enumerate(order_terms):
            entity = term.entity
            if entity.kind == ATTRIBUTE:
                column = self.attribute_column(entity.key)
                nullable = entity.key in self.nullable_attributes
            else:
                alias = self.tables[entity.kind].alias(f"o{number}")
                on = and_(alias.c.run_id == self.runs.c.run_id, alias.c.key == literal(entity.key))
                from_clause = from_clause.outerjoin(alias, on)
                column = alias.c.value
                nullable = True
            if nullable:
                order_by.append(column.is_(None))
            order_by.append(column.asc() if term.ascending else column.desc())
        order_by += [self.runs.c.start_time.desc(), self.runs.c.run_id.asc()]
        return from_clause, order_by


class FixedOrderJoin(Join):
    """An inner join whose left side SQLite must scan first (rendered ``CROSS JOIN``).

    SQLite's planner never reorders tables around a CROSS JOIN; we use that to make it walk the
    order key's index and stop after one page. Other databases get a plain JOIN.
    """

    inherit_cache = True


@compiles(FixedOrderJoin, "sqlite")
def _render_cross_join(join, compiler, asfrom=False, from_linter=None, **kw):
    if from_linter:
        from_linter.edges.update(itertools.product(join.left._from_objects, join.right._from_objects))
    return (
        join.left._compiler_dispatch(compiler, asfrom=True, from_linter=from_linter, **kw)
        + " CROSS JOIN "
        + join.right._compiler_dispatch(compiler, asfrom=True, from_linter=from_linter, **kw)
        + " ON "
        + join.onclause._compiler_dispatch(compiler, from_linter=from_linter, **kw)
    )


def _condition(column, comparison: Comparison, dialect_name: str):
    operator, value = comparison.operator, comparison.value
    if comparison.entity.is_numeric:
        bound: sa.BindParameter[float] = literal(value, Double())
        return {
            "=": column == bound,
            "!=": column != bound,
            "<": column < bound,
            "<=": column <= bound,
            ">": column > bound,
            ">=": column >= bound,
        }[operator]
    if operator == "=":
        return column == literal(value)
    if operator == "!=":
        return column != literal(value)
    if operator in ("IN", "NOT IN"):
        assert isinstance(value, tuple)  # the parser gives IN a tuple, LIKE a string
        condition = column.in_([literal(item) for item in value])
        return not_(condition) if operator == "NOT IN" else condition
    assert isinstance(value, str)
    condition = _like(column, operator.removeprefix("NOT "), value, dialect_name)
    return not_(condition) if operator.startswith("NOT ") else condition


def _like(column, operator: str, pattern: str, dialect_name: str):
    if operator == "ILIKE":
        return column.ilike(literal(pattern), escape="\\")
    if dialect_name == "sqlite":
        # SQLite's LIKE ignores ASCII case; GLOB is case-sensitive like PostgreSQL's LIKE.
        return column.op("GLOB", is_comparison=True)(literal(like_to_glob(pattern)))
    return column.like(literal(pattern), escape="\\")


def like_to_glob(pattern: str) -> str:
    """Translate a LIKE pattern (``%``, ``_``, backslash escapes) into an equivalent GLOB."""
    out = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            char = next(chars, "\\")
            out.append(_glob_literal(char))
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        else:
            out.append(_glob_literal(char))
    return "".join(out)


def _glob_literal(char: str) -> str:
    return f"[{char}]" if char in "*?[" else char
