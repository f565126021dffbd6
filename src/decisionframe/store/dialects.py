"""The heavy SQL, written once: DuckDB's dialect is the source, SQLGlot writes the others.

Demand classification and its cube, the analysis frames and the series aggregates are
written once, as DuckDB SQL, in the analysis modules. A store on another engine passes
every statement through ``to_dialect`` before running it; DuckDB runs the text as written
(no parse, no rewrite: its speed and behaviour are exactly what they were).

Why SQLGlot and not Ibis: the queries exist, are tuned for DuckDB (they keep the look-back
windows narrow, group before naming) and are what the demand benchmarks measure. SQLGlot
transpiles that text to PostgreSQL and Spark SQL (it is also what Ibis itself compiles
through), so the DuckDB path stays byte-for-byte the tuned query and the other engines get
the same definition. Ibis would mean rewriting every query as expression trees and trusting
its DuckDB compilation to match the tuned SQL's plan, for no gain in portability here.

What SQLGlot does not do on its own, done here (each is a rule of the one definition):

- ``rowid`` (DuckDB's row number, the cheap join key of the demand codes) becomes the
  touchpoint id elsewhere: the canonical key, unique by the schema;
- unsigned integer types (DuckDB's UTINYINT codes) become signed types one size up;
- ``AS NOT MATERIALIZED`` hints are dropped for Spark, which has no such hint;
- ``GROUPING(a, b, ...)`` of several columns becomes a sum of one-column ``grouping``
  bits for Spark (the same bit vector; Spark's own forms take one column, or exactly the
  GROUP BY's columns in their order);
- ``CREATE OR REPLACE TEMP TABLE`` becomes a drop and a create for PostgreSQL (which has
  no OR REPLACE for tables). Spark materializes temporary tables itself (see
  ``spark_store``).

Queries the one definition must not use, because an engine cannot run them or runs them
differently: ``GROUP BY ALL`` (list the keys), list literals indexed by a column (1-based in
DuckDB and PostgreSQL, 0-based in Spark: use CASE), ``arg_min``/``arg_max`` (no tie-break,
and none in PostgreSQL: use ``row_number()`` with a full order), ``hash()`` (differs by
engine: use ``md5``), ``?::TYPE`` (write ``CAST(? AS TYPE)``), aliases inside GROUPING
SETS. Every window has an explicit ORDER BY ending in a unique key, so ties never decide.
Parameters stay parameters (``?`` becomes ``%s`` for psycopg); identifiers from users are
quoted before they reach this module, and nothing here splices values into the text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal, cast

import sqlglot
from sqlglot import exp

Dialect = Literal["duckdb", "postgres", "spark"]
SOURCE: Dialect = "duckdb"
ROW_KEY = "touchpoint_id"  # what DuckDB's rowid means on the other engines

_SIGNED = {
    exp.DataType.Type.UTINYINT: exp.DataType.Type.SMALLINT,
    exp.DataType.Type.USMALLINT: exp.DataType.Type.INT,
    exp.DataType.Type.UINT: exp.DataType.Type.BIGINT,
    exp.DataType.Type.UBIGINT: exp.DataType.Type.DECIMAL,
}


class UnportableSQL(ValueError):
    """A statement the one definition cannot carry to another engine (a bug in decisionframe)."""


def parse(sql: str) -> exp.Expression:
    """One DuckDB statement as a tree."""
    tree = sqlglot.parse_one(sql, read=SOURCE)
    if tree is None:  # pragma: no cover - sqlglot raises on empty input
        raise UnportableSQL("empty statement")
    return cast(exp.Expression, tree)


def _portable(tree: exp.Expression, dialect: Dialect) -> exp.Expression:
    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name.lower() == "rowid" and not node.this.quoted:
            return exp.column(ROW_KEY, table=node.table or None)
        if isinstance(node, exp.DataType) and node.this in _SIGNED:
            return exp.DataType.build(_SIGNED[node.this])
        if dialect == "spark":
            if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
                node.set("materialized", None)
            if isinstance(node, exp.Div):
                # DuckDB's / is always DOUBLE division; Spark divides by a literal such as
                # 86400.0 in DECIMAL arithmetic, rounded at its scale (8th digit off).
                return exp.Div(
                    this=exp.cast(node.this.copy(), exp.DataType.Type.DOUBLE),
                    expression=exp.cast(node.expression.copy(), exp.DataType.Type.DOUBLE),
                )
            if isinstance(node, exp.Grouping) and len(node.expressions) > 1:
                return _grouping_bits(node)
            if isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None:
                # Spark's percentile(x, q) interpolates as DuckDB's quantile_cont does.
                return exp.Anonymous(
                    this="percentile", expressions=[node.this.copy(), node.expression.copy()]
                )
        if isinstance(node, exp.Group) and node.args.get("all"):
            raise UnportableSQL("GROUP BY ALL: list the grouping keys")
        return node

    return tree.transform(rewrite)


def _grouping_bits(node: exp.Grouping) -> exp.Expression:
    """GROUPING(a, b, c) as grouping(a) * 4 + grouping(b) * 2 + grouping(c): the same bit
    vector, from the one-column form every engine has (Spark's ``grouping_id`` must list
    exactly its GROUP BY's columns in their order)."""
    columns = list(node.expressions)
    terms: list[exp.Expression] = []
    for index, column in enumerate(columns):
        bit = 1 << (len(columns) - 1 - index)
        one = exp.Grouping(expressions=[column.copy()])
        terms.append(one if bit == 1 else exp.Mul(this=one, expression=exp.Literal.number(bit)))
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.Paren(this=total)


_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\?|%s|%")


def pyformat(statement: str) -> str:
    """Placeholders as psycopg's ``%s``: DuckDB's ``?`` (and SQLGlot's ``%s``) outside
    quotes; every other ``%`` doubled, quoted or not (a LIKE pattern, the modulo operator),
    since psycopg reads ``%`` anywhere in a statement with parameters. A ``?`` in a quoted
    string or comment stays as it is.

    Done once, on the final text, and only here: doubling in the tree as well (or twice on
    the text) would turn a literal ``%`` into ``%%`` in the data psycopg sends.
    """

    def swap(match: re.Match[str]) -> str:
        text = match.group(0)
        if text in ("?", "%s"):
            return "%s"
        return text.replace("%", "%%")

    return _PLACEHOLDER.sub(swap, statement)


def _is_replaced_temp_table(tree: exp.Expression) -> bool:
    return (
        isinstance(tree, exp.Create)
        and str(tree.args.get("kind", "")).upper() == "TABLE"
        and bool(tree.args.get("replace"))
    )


@lru_cache(maxsize=2048)
def to_dialect(sql: str, dialect: Dialect, *, with_params: bool = False) -> tuple[str, ...]:
    """The statement(s) that run ``sql`` (DuckDB's dialect) on ``dialect``.

    For PostgreSQL with ``with_params`` (the statement will be sent with a parameter list)
    they are ready for psycopg: placeholders are ``%s`` and every literal ``%`` is doubled
    (``pyformat``); without parameters psycopg sends the text as it is. Two statements come
    back where PostgreSQL needs two (a replaced temporary table: drop, then create); the
    parameters belong to the last.
    """
    if dialect == SOURCE:
        return (sql,)
    tree = _portable(parse(sql), dialect)
    statements = [tree]
    if dialect == "postgres" and _is_replaced_temp_table(tree):
        assert isinstance(tree, exp.Create)
        drop = exp.Drop(tables=[tree.this.copy()], kind="TABLE", exists=True)
        tree.set("replace", False)
        statements = [drop, tree]
    texts = [s.sql(dialect=dialect) for s in statements]
    if dialect == "postgres" and with_params:
        texts[-1] = pyformat(texts[-1])
    return tuple(texts)


def portable_tree(sql: str, dialect: Dialect) -> exp.Expression:
    """``sql`` as a tree already rewritten for ``dialect`` (for stores that inspect it)."""
    return _portable(parse(sql), dialect)
