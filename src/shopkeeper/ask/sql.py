"""The read-only SQL fallback: check a SELECT written for a question, then run it safely.

Questions the semantic layer cannot express fall back to SQL written against the documented schema
(by a person or a model). That SQL is untrusted text, so it passes five layers, each of which
would stop the attacks the others miss:

1. **The text** (:func:`check_sql`): at most :data:`MAX_SQL_CHARS` characters, parsed by sqlglot
   for DuckDB, never matched with regexes. It must be exactly one statement, and that statement
   a query (``SELECT``, ``WITH … SELECT``, ``UNION``/``INTERSECT``/``EXCEPT`` of selects). This
   stops DDL and DML, ``COPY``, ``ATTACH``/``DETACH``, ``INSTALL``/``LOAD``, ``PRAGMA``,
   ``SET``/``RESET``, ``CALL``, ``EXPORT``/``IMPORT``, and statements stacked behind ``;``,
   comments or string tricks (a comment or a literal is one token to a parser).
2. **The tree** (:func:`check_sql`): every node of the parsed query must be of an allow-listed
   kind (``SELECT … INTO``, parameters, ``PIVOT``, samples, time travel are not); every
   function must be on :data:`ALLOWED_FUNCTIONS` (aggregates, arithmetic, text, dates,
   ``CASE``/``COALESCE``, window functions, JSON reads), so an unknown function is refused;
   no table function (``read_csv``, ``glob``, ``range``, ``duckdb_tables()``…) and no recursive
   CTE. Tables must be on :data:`QUESTION_TABLES` (schema ``main`` at most; CTE names are
   resolved in their own scope and may not shadow a warehouse table), so accounts, tokens,
   sessions, the audit log, jobs, loads and quarantine are out of reach, as are
   ``information_schema``, ``pg_catalog`` and files named as tables (``FROM 'x.csv'``). Every
   column is then resolved by sqlglot's qualifier against :data:`QUESTION_COLUMNS`, and
   ``SELECT *`` is expanded to the allowed columns only, so hidden columns (contact details,
   lineage) never come out: not through ``*``, a whole-row reference (``SELECT c FROM
   customers c``), renamed table columns (``customers AS c(a, b, x)``, which DuckDB maps by
   position) or positional references (``#3``). ``ORDER BY total`` becomes ``ORDER BY 2``, so
   no name is left for DuckDB to bind differently. Queries too large to be a question (over
   :data:`MAX_SET_OPERATIONS` set operations, :data:`MAX_TABLE_REFERENCES` table references,
   :data:`MAX_NODES` nodes, or nested deeper than sqlglot's parser goes, about 35 calls) are
   refused. A ``LIMIT`` is injected.
3. **DuckDB's own parser**: the SQL that will run is *regenerated* from the checked tree (never
   the text as given, and without its comments), then parsed again by DuckDB
   (``json_serialize_sql``), which must see one SELECT reading only allowed tables, calling only
   allowed functions, with no ``*``, hidden column, whole-row or positional reference. A
   disagreement between the two parsers about what the text means is refused, not run.
4. **The connection** (:func:`run_sql`):

   - when the caller's :class:`~shopkeeper.store.warehouse.Warehouse` holds no connection (on
     demand, between uses), a private connection is opened **read-only** with
     ``enable_external_access=false`` (no file, no network, no extension), no replacement
     scans of Python variables, no spilling to disk, its own ``memory_limit``, and its
     configuration locked, then closed;
   - when the caller holds the file open (the server's warehouse and its shared cursors, a CLI
     session, an on-demand reader in use), DuckDB allows no second connection with other
     settings in the same process, and ``enable_external_access`` and ``memory_limit`` are
     global to the database (changing them would change the caller's, and external access
     cannot be switched back on). So the query runs on a **new cursor** of that database, in a
     ``BEGIN TRANSACTION READ ONLY`` that is always rolled back, with the connection-local
     ``operator_memory_limit`` capping its sorts and hash tables at ``memory_limit`` (past it
     they spill to DuckDB's temporary folder, never into the warehouse file); the database's
     own ``memory_limit`` (the ``memory_limit`` setting) bounds the rest, and the timeout the
     time. The read-only transaction stops writes to the warehouse, but not ``COPY … TO`` a
     file or ``ATTACH``: on this path layers 1 to 3 alone keep files and extensions out of
     reach (tested by running statements past them in ``tests/test_ask_sql.py``).

   Either way the warehouse file is not written.
5. **Time and size**: a timer interrupts the query after ``timeout_s`` (:class:`SqlTooCostly`),
   running out of memory is reported the same way, and at most ``limit`` rows are fetched
   even if the ``LIMIT`` were lost.

Generated Python is never executed anywhere on this path.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import duckdb
import pandas as pd
import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, SqlglotError, TokenError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope
from sqlglot.tokens import TokenType

from shopkeeper.errors import ShopkeeperError, WarehouseError, WarehouseLockedError
from shopkeeper.store import schema
from shopkeeper.store.timezone import stored_timezone
from shopkeeper.store.warehouse import _SHARE_LOCK, Warehouse

__all__ = [
    "ALLOWED_FUNCTIONS",
    "DEFAULT_LIMIT",
    "HIDDEN_COLUMNS",
    "QUESTION_COLUMNS",
    "QUESTION_TABLES",
    "SqlRefused",
    "SqlTooCostly",
    "check_sql",
    "run_sql",
]

DEFAULT_LIMIT = 1000
MAX_SQL_CHARS = 20_000  # a question's SQL is a few hundred characters; a model's, a few thousand
MAX_NODES = 5_000
MAX_SET_OPERATIONS = 50
MAX_TABLE_REFERENCES = 30
DIALECT = "duckdb"


class SqlRefused(ShopkeeperError, ValueError):
    """SQL for a question was refused: it could write, read outside the store's tables, or cost
    too much. The message says why in one line."""


class SqlTooCostly(SqlRefused):
    """The query was stopped: it ran past its time limit or needed more memory than allowed."""


# -- what questions may read -----------------------------------------------------------------
# The store data the merchant loaded (the canonical tables of ``schema.TABLES``), and nothing
# the workspace keeps for itself: never users, api_tokens, web_sessions, setup_secrets,
# audit_log, jobs, idempotency_keys, report_schedules (schema.APP_TABLES), the system tables
# (_migrations, loads, load_files, quarantine, store_settings) or the capabilities' results
# (forecasts, plans, drafts, service conversations: schema.RESULT_TABLES). product_media (image
# URLs) and knowledge_documents (customer-service texts) answer no question about the business.
_NOT_FOR_QUESTIONS = frozenset({"product_media", "knowledge_documents"})
QUESTION_TABLES: tuple[str, ...] = tuple(
    t.name for t in schema.TABLES if t.name not in _NOT_FOR_QUESTIONS)

# Columns of those tables that no question needs and that should not travel to a model or a
# viewer: contact details, and the lineage columns (paths of files on the merchant's machine).
HIDDEN_COLUMNS: dict[str, frozenset[str]] = {
    "customers": frozenset({"email", "phone"}),
    "suppliers": frozenset({"contact_email"}),
}
_LINEAGE = frozenset(c.name for c in schema.LINEAGE)
_ALL_HIDDEN = _LINEAGE.union(*HIDDEN_COLUMNS.values())

QUESTION_COLUMNS: dict[str, dict[str, str]] = {
    name: {c.name: c.type for c in schema.get_table(name).columns
           if c.name not in HIDDEN_COLUMNS.get(name, frozenset()) and c.name not in _LINEAGE}
    for name in QUESTION_TABLES
}

# Every table name the warehouse may hold: a CTE may not shadow one (it would make a misread
# scope the difference between reading the CTE and reading the table).
_WAREHOUSE_TABLES = frozenset(
    {t.name for t in schema.TABLES} | set(schema.RESULT_TABLES) | set(schema.APP_TABLES)
    | {"_migrations", "loads", "load_files", "quarantine", "store_settings"})

# -- what questions may call ---------------------------------------------------------------------
# By the name DuckDB runs (lower case). Anything else, including every table function, is refused.
_AGGREGATES = """
    count count_star sum avg mean min max median mode quantile quantile_cont quantile_disc
    percentile_cont percentile_disc approx_quantile approx_count_distinct stddev stddev_pop
    stddev_samp variance var_pop var_samp corr covar_pop covar_samp regr_slope regr_intercept
    regr_r2 regr_count regr_avgx regr_avgy first last any_value arbitrary arg_max arg_min argmax
    argmin max_by min_by bool_and bool_or every string_agg group_concat listagg list array_agg
    count_if countif product fsum favg kahan_sum sumkahan entropy kurtosis skewness mad geomean
    geometric_mean histogram
"""
_WINDOWS = """
    row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value
    nth_value
"""
_MATH = """
    abs round round_even ceil ceiling floor trunc sqrt cbrt power pow exp ln log log2 log10 sign
    greatest least mod fmod pi degrees radians isnan isinf isfinite even gcd lcm sin cos tan asin
    acos atan atan2 divide add subtract multiply
"""
_TEXT = """
    lower upper lcase ucase length len char_length character_length strlen length_grapheme substr
    substring substring_grapheme left right left_grapheme right_grapheme trim ltrim rtrim replace
    concat concat_ws reverse position strpos instr contains starts_with ends_with prefix suffix
    split_part string_split str_split string_to_array split regexp_matches regexp_replace
    regexp_extract regexp_extract_all regexp_full_match regexp_split_to_array like_escape
    ilike_escape not_like_escape not_ilike_escape format printf md5 sha256 hash ascii chr unicode
    nfc_normalize strip_accents translate array_to_string list_to_string levenshtein
    damerau_levenshtein jaro_similarity jaro_winkler_similarity jaccard hamming mismatches
    to_hex hex
"""
_DATES = """
    date_trunc datetrunc date_part datepart extract date_diff datediff date_sub datesub date_add
    strftime strptime try_strptime make_date make_time make_timestamp make_timestamptz now
    current_date current_timestamp get_current_timestamp get_current_time current_localtimestamp
    today transaction_timestamp year month day dayofmonth dayofweek dayofyear week weekday
    weekofyear quarter hour minute second millisecond microsecond epoch epoch_ms epoch_us to_timestamp
    last_day monthname dayname isodow isoyear yearweek age time_bucket timezone to_days
    to_hours to_minutes to_seconds to_months to_years to_weeks century decade
"""
_CONDITIONAL_AND_CASTS = """
    coalesce nullif ifnull if iff cast try_cast try typeof
"""
_LISTS_AND_JSON = """
    list_value list_pack array_value array_length list_contains list_has array_contains
    array_has list_extract array_extract list_element list_sort array_sort list_reverse_sort
    list_distinct array_distinct list_unique array_unique list_transform array_transform
    apply list_apply list_filter array_filter filter list_slice array_slice flatten unnest
    json_extract json_extract_string json_extract_path json_extract_path_text json_value
    json_exists json_array_length json_keys json_type json_valid
"""
ALLOWED_FUNCTIONS: frozenset[str] = frozenset(
    " ".join([_AGGREGATES, _WINDOWS, _MATH, _TEXT, _DATES, _CONDITIONAL_AND_CASTS,
              _LISTS_AND_JSON]).split())

# Why a well-known function is refused (the allow-list decides; this only words the message).
_FUNCTION_REASONS: tuple[tuple[str, str], ...] = (
    (r"read_|.*_scan$|glob$|sniff_csv|parquet_|st_read|iceberg_|delta_|.*_metadata$",
     "it reads files"),
    (r"getenv|current_setting|duckdb_settings|set_|which_secret|.*secret",
     "it reads settings or the environment"),
    (r"duckdb_|pragma_|pg_|information_schema|current_database|current_schema|version$",
     "it reads the database's internals"),
    (r"query$|query_table$|sql_auto_complete|json_serialize|json_deserialize",
     "it runs SQL given as text"),
    (r"load_extension|install|load$|.*extension", "it loads extensions"),
    (r"range$|generate_series$|repeat|lpad$|rpad$|list_resize|array_resize",
     "it can build unbounded data"),
)


def _function_refusal(name: str) -> str:
    for pattern, why in _FUNCTION_REASONS:
        if re.match(pattern, name):
            return f"function {name} is not allowed: {why}"
    return (f"function {name} is not allowed: questions may use aggregates, arithmetic, text, "
            "date, CASE/COALESCE, window and JSON functions only")


# Node kinds a question's query may contain (functions are checked by name on top of this).
_ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery, exp.With, exp.CTE,
    exp.From, exp.Join, exp.Where, exp.Group, exp.Having, exp.Qualify, exp.Order, exp.Ordered,
    exp.Limit, exp.Fetch, exp.LimitOptions, exp.Offset, exp.Distinct, exp.Window, exp.WindowSpec, exp.Filter, exp.WithinGroup,
    exp.IgnoreNulls, exp.RespectNulls, exp.Table, exp.TableAlias, exp.Alias, exp.Column,
    exp.Identifier, exp.Star, exp.Literal, exp.RawString, exp.Null, exp.Boolean, exp.Var, exp.DataType,
    exp.DataTypeParam, exp.Interval, exp.IntervalSpan, exp.Paren, exp.Tuple, exp.Neg, exp.Not,
    exp.BitwiseNot, exp.Binary, exp.Between, exp.In, exp.Exists, exp.Any, exp.All, exp.Case,
    exp.Bracket, exp.Slice, exp.Lambda, exp.Kwarg, exp.PropertyEQ, exp.Values, exp.Func, exp.Cube, exp.Rollup, exp.GroupingSets, exp.Collate, exp.Escape,
    exp.JSONPath, exp.JSONPathPart,
)
# Kinds refused even where a broader allowed kind above would cover them.
_REFUSED_NODES: dict[type[exp.Expression], str] = {
    exp.Into: "SELECT … INTO writes a table",
    exp.Placeholder: "query parameters are not allowed: write the values into the query",
    exp.Parameter: "query parameters are not allowed: write the values into the query",
    exp.SessionParameter: "session parameters are not allowed",
    exp.Lateral: "LATERAL is not allowed",
    exp.Pivot: "PIVOT is not allowed",
    exp.TableSample: "sampling is not allowed: answers must be reproducible",
    exp.Version: "time travel is not allowed",
    exp.Hint: "hints are not allowed",
    exp.Operator: "OPERATOR(…) is not allowed",
    exp.TableColumn: "a whole table is not a value: name its columns instead",
}
_STATEMENT_NAMES: dict[type[exp.Expression], str] = {
    exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE", exp.Merge: "MERGE",
    exp.Create: "CREATE", exp.Drop: "DROP", exp.Alter: "ALTER", exp.TruncateTable: "TRUNCATE",
    exp.Copy: "COPY", exp.Attach: "ATTACH", exp.Detach: "DETACH", exp.Pragma: "PRAGMA",
    exp.Set: "SET", exp.Use: "USE", exp.Transaction: "BEGIN", exp.Commit: "COMMIT",
    exp.Rollback: "ROLLBACK", exp.Describe: "DESCRIBE", exp.Show: "SHOW", exp.Values: "VALUES",
    exp.Install: "INSTALL", exp.Summarize: "SUMMARIZE", exp.Pivot: "PIVOT", exp.Cache: "CACHE",
    exp.Analyze: "ANALYZE", exp.Export: "EXPORT",
}
# A function that sqlglot renders as an operator or keyword rather than ``name(…)``.
_OPERATOR_FUNCTIONS: tuple[type[exp.Expression], ...] = (
    exp.Case, exp.Array, exp.Struct, exp.JSONExtract, exp.JSONExtractScalar, exp.Cast,
    exp.TryCast, exp.If, exp.Coalesce, exp.Extract, exp.Anonymous,
)
# Predicates sqlglot models as functions that DuckDB parses as subqueries.
_KEYWORD_FUNCTIONS: tuple[type[exp.Expression], ...] = (exp.Exists,)
_CALL = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*\.)*([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_AUTO_ALIAS = re.compile(r"_col_\d+")
_FILE_LIKE = re.compile(r"[/\\:~]|\.[A-Za-z0-9]{1,8}(\.gz|\.zst)?$")


# -- checking ----------------------------------------------------------------------------------
def check_sql(sql: str, *, limit: int = DEFAULT_LIMIT) -> str:
    """Check that ``sql`` is one read-only query over the question tables; return it re-generated
    by sqlglot for DuckDB, with columns resolved, ``*`` expanded and ``LIMIT`` at most ``limit``.

    Raises :class:`SqlRefused` with a one-line reason otherwise. See the module docstring."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValueError(f"limit must be a whole number of rows, 1 or more. Got {limit!r} instead.")
    try:
        tree = _parse_one_query(sql)
        _check_nodes(tree)
        _check_tables(tree)
        _check_aliases(tree)
        original_aliases = {a.alias for a in tree.find_all(exp.Alias)}
        tree = _qualify(tree)
        _check_nodes(tree)  # again: the qualifier writes nodes of its own
        _check_columns(tree)
        _drop_generated_aliases(tree, original_aliases)
        _inject_limit(tree, limit)
        checked = tree.sql(dialect=DIALECT, comments=False)  # nothing hides in what runs
        _check_with_duckdb(checked)
    except RecursionError:
        raise SqlRefused("the query is nested too deeply to be a question") from None
    return checked


def _parse_one_query(sql: str) -> exp.Expression:
    """The single query statement in ``sql`` (layer 1)."""
    if not isinstance(sql, str) or not sql.strip():
        raise SqlRefused("no SQL was given")
    if len(sql) > MAX_SQL_CHARS:
        raise SqlRefused(f"the SQL is {len(sql):,} characters long; a question's query may have "
                         f"at most {MAX_SQL_CHARS:,}")
    if "\x00" in sql:
        raise SqlRefused("the SQL contains a NUL character")
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except (ParseError, TokenError) as exc:
        raise SqlRefused(f"cannot parse the SQL: {_first_line(exc)}") from None
    except SqlglotError as exc:  # pragma: no cover - any other sqlglot complaint
        raise SqlRefused(f"cannot parse the SQL: {_first_line(exc)}") from None
    if len(statements) != 1:
        raise SqlRefused(f"only one SELECT statement is allowed; found {len(statements)} "
                         "statements")
    tree = statements[0]
    if isinstance(tree, exp.Subquery) and isinstance(tree.unnest(), exp.Query):
        tree = tree.unnest() if not _has_modifiers(tree) else tree
    if not isinstance(tree, (exp.Select, exp.SetOperation, exp.Subquery)):
        raise SqlRefused(f"{_statement_name(tree, sql)} is not allowed: only a SELECT can "
                         "answer a question")
    _check_tokens(sql)
    return tree


def _check_tokens(sql: str) -> None:
    """No comments and no dollar-quoted strings: a question's query needs neither, and both are
    where statements hide from a reader of the text."""
    for token in sqlglot.tokenize(sql, read=DIALECT):
        if token.comments:
            raise SqlRefused("comments are not allowed in a question's SQL (they can hide "
                             "statements); remove them")
        if token.token_type in (TokenType.HEREDOC_STRING, TokenType.RAW_STRING):
            raise SqlRefused("dollar-quoted or raw strings are not allowed; write text in "
                             "'single quotes'")


def _check_aliases(tree: exp.Expression) -> None:
    """No alias may take the name of a column kept out of questions: a filter on that name
    would read as the hidden column to a person, and as the alias to DuckDB."""
    names = [a.alias for a in tree.find_all(exp.Alias)]
    names += [c.name for t in tree.find_all(exp.TableAlias) for c in t.columns]
    for name in names:
        if name.lower() in _ALL_HIDDEN:
            raise SqlRefused(f"the alias '{name}' is the name of a column kept out of "
                             "questions; choose another name")


def _has_modifiers(node: exp.Expression) -> bool:
    return bool(node.ctes) or any(node.args.get(k) for k in ("limit", "offset", "order"))


def _statement_name(tree: exp.Expression, sql: str) -> str:
    for kind, name in _STATEMENT_NAMES.items():
        if isinstance(tree, kind):
            return name
    if isinstance(tree, exp.Command):
        return str(tree.this).upper()
    words = re.findall(r"[A-Za-z_]+", sql)
    return words[0].upper() if words else type(tree).__name__.upper()


def _check_nodes(tree: exp.Expression) -> None:
    """Every node of an allowed kind, every function allowed, no recursion (layer 2)."""
    set_operations = 0
    for nodes, node in enumerate(tree.walk(), start=1):
        if nodes > MAX_NODES:
            raise SqlRefused(f"the query is too large to be a question (over {MAX_NODES:,} "
                             "parts)")
        kind = type(node)
        for refused, why in _REFUSED_NODES.items():
            if isinstance(node, refused):
                raise SqlRefused(why)
        for statement, name in _STATEMENT_NAMES.items():
            if isinstance(node, statement) and not isinstance(node, exp.Values):
                raise SqlRefused(f"{name} is not allowed: only a SELECT can answer a question")
        if isinstance(node, exp.Command):
            raise SqlRefused(f"{str(node.this).upper()} is not allowed: only a SELECT can "
                             "answer a question")
        if not isinstance(node, _ALLOWED_NODES):
            raise SqlRefused(f"{kind.__name__} is not allowed in a question's query")
        if isinstance(node, exp.LimitOptions) and (
                node.args.get("percent") or node.args.get("with_ties")):
            raise SqlRefused("LIMIT must be a whole number of rows")
        if isinstance(node, exp.SetOperation):
            set_operations += 1
            if set_operations > MAX_SET_OPERATIONS:
                raise SqlRefused(f"the query has over {MAX_SET_OPERATIONS} UNION/INTERSECT/"
                                 "EXCEPT parts; a question's query has a few")
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise SqlRefused("recursive CTEs (WITH RECURSIVE) are not allowed: they can run "
                             "forever")
        if isinstance(node, exp.Func):
            _check_function(node)


def _check_function(node: exp.Func) -> None:
    if isinstance(node, exp.Anonymous):
        name = str(node.name).lower()
        if not isinstance(node.this, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise SqlRefused(f"function {node.sql(DIALECT)[:40]!r} is not allowed")
        if name not in ALLOWED_FUNCTIONS:
            raise SqlRefused(_function_refusal(name))
        return
    if isinstance(node, _KEYWORD_FUNCTIONS):
        return
    # the name DuckDB will run: what sqlglot writes for this node
    rendered = node.sql(DIALECT)
    called = _CALL.match(rendered) or re.fullmatch(r"([A-Za-z_]+)", rendered)
    if called:
        name = called.group(1).lower()
        if name not in ALLOWED_FUNCTIONS:
            raise SqlRefused(_function_refusal(name))
    elif not isinstance(node, _OPERATOR_FUNCTIONS) and not _is_operator_form(rendered):
        raise SqlRefused(f"{type(node).__name__} ({rendered[:40]}) is not allowed in a "
                         "question's query")


def _is_operator_form(rendered: str) -> bool:
    """Whether sqlglot wrote a function as an operator/keyword form (``a -> b``, ``[…]``,
    ``CASE``, ``x::T``, ``INTERVAL``) rather than a call."""
    return not re.match(r"[A-Za-z_]", rendered) or bool(
        re.match(r"(CASE|INTERVAL|CAST|TRY_CAST|EXTRACT|NOT|EXISTS)\b", rendered, re.I)) or bool(
        re.match(r"[A-Za-z_][A-Za-z0-9_.]*\s*(->|->>|::|\[|\|\||[-+*/%<>=!]|\bIS\b|\bIN\b"
                 r"|\bLIKE\b|\bILIKE\b|\bAND\b|\bOR\b)", rendered, re.I))


def _check_tables(tree: exp.Expression) -> None:
    """Only question tables, in ``main`` at most; CTE names only where they are defined."""
    references = 0
    for table in tree.find_all(exp.Table):
        references += 1
        if references > MAX_TABLE_REFERENCES:
            raise SqlRefused(f"the query reads over {MAX_TABLE_REFERENCES} tables; a question's "
                             "query reads a few")
        if not isinstance(table.this, exp.Identifier):
            raise SqlRefused(_table_function_refusal(table.this))
        name = table.name
        catalog, db = table.catalog, table.db
        if catalog or (db and db.lower() != "main"):
            prefix = ".".join(p for p in (catalog, db) if p)
            raise SqlRefused(f"{prefix}.{name} is not allowed: questions read the store's tables "
                             "in main only")
        alias = table.args.get("alias")
        if alias is not None and alias.columns:
            # DuckDB renames a table's columns by position, hidden ones included
            raise SqlRefused(f"renaming the columns of table '{name}' is not allowed: name the "
                             "columns with AS in the SELECT instead")
        lowered = name.lower()
        if lowered in QUESTION_TABLES and name.isascii():
            continue
        if not db and _cte_in_scope(table, name):
            continue
        if table.this.quoted and _FILE_LIKE.search(name):
            raise SqlRefused(f"'{name}' looks like a file: reading files is not allowed")
        raise SqlRefused(f"table '{name}' is not one of the tables questions may read: "
                         f"{', '.join(QUESTION_TABLES)}")
    for cte in tree.find_all(exp.CTE):
        alias = cte.alias_or_name.lower()
        if alias in _WAREHOUSE_TABLES:
            raise SqlRefused(f"a CTE may not be named like the warehouse table '{alias}': "
                             "choose another name")


def _table_function_refusal(call: exp.Expression) -> str:
    if isinstance(call, exp.Anonymous):
        name = str(call.name).lower()
    else:
        called = _CALL.match(call.sql(DIALECT))
        name = called.group(1).lower() if called else call.sql(DIALECT)[:40]
    refusal = _function_refusal(name)
    if refusal.endswith("window and JSON functions only"):
        return f"table function {name} is not allowed: questions read the store's tables only"
    return "table " + refusal


def _cte_in_scope(table: exp.Table, name: str) -> bool:
    """Whether ``name`` is a CTE of a WITH that encloses ``table`` (so not a warehouse table)."""
    node: exp.Expression | None = table
    while node is not None:
        parent = node.parent
        if isinstance(node, exp.Query) and any(
                c.alias_or_name.lower() == name.lower() for c in node.ctes):
            return True
        node = parent
    return False


def _qualify(tree: exp.Expression) -> exp.Expression:
    """Resolve every column against the question columns and expand ``*`` to them."""
    try:
        return qualify(tree, dialect=DIALECT, schema=QUESTION_COLUMNS,
                       validate_qualify_columns=True, identify=False)
    except OptimizeError as exc:
        message = _first_line(exc)
        found = re.search(r"(?:Unknown column: |Column ')([^']+?)'?(?: could not|$)", message)
        if found:
            raise SqlRefused(_column_refusal(found.group(1), tree)) from None
        raise SqlRefused(f"cannot resolve the query's columns: {message}") from None


def _column_refusal(column: str, tree: exp.Expression) -> str:
    tables = sorted({t.name.lower() for t in tree.find_all(exp.Table)} & set(QUESTION_TABLES))
    listed = "; ".join(f"{t}: {', '.join(QUESTION_COLUMNS[t])}" for t in tables)
    hidden = [t for t in tables if column in HIDDEN_COLUMNS.get(t, ()) or column in _LINEAGE]
    why = " (it is kept out of questions)" if hidden else ""
    return (f"column '{column}' is not one of the columns questions may read{why}"
            + (f": {listed}" if listed else ""))


def _check_columns(tree: exp.Expression) -> None:
    """After qualification, every column is an allowed column of a question table, a column of
    a CTE or subquery, an output alias, or a lambda parameter: never a whole-row reference.

    Checked twice: through sqlglot's scopes, and over every column node of the tree with each
    alias taken as *any* table it names anywhere in the query (so a scope the resolver misreads
    can only refuse more)."""
    tables_by_alias: dict[str, set[str]] = {}
    for table in tree.find_all(exp.Table):
        for key in {table.alias_or_name.lower(), table.name.lower()}:
            tables_by_alias.setdefault(key, set()).add(table.name.lower())
    derived = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    derived |= {s.alias.lower() for s in tree.find_all(exp.Subquery) if s.alias}
    source_names = set(tables_by_alias) | derived
    by_position: list[exp.Column] = []
    hidden_names = set(_LINEAGE).union(*(
        HIDDEN_COLUMNS.get(t, frozenset()) for names in tables_by_alias.values() for t in names))
    for scope in traverse_scope(tree):
        for column in scope.columns:
            if not column.table:
                continue
            source = _source_of(scope, column.table)
            if isinstance(source, exp.Table):
                _check_column_of(source.name.lower(), column, tree)
            elif source is None:
                raise SqlRefused(f"'{column.table}.{column.name}' does not name a table of the "
                                 "query")
    for column in tree.find_all(exp.Column):
        name = column.name.lower()
        if isinstance(column.this, exp.Star):
            raise SqlRefused("SELECT * could not be limited to the allowed columns: name the "
                             "columns")
        if column.args.get("catalog") or (column.args.get("db") and column.db.lower() != "main"):
            raise SqlRefused(f"'{column.sql(DIALECT)}' is not allowed: questions read the "
                             "store's tables in main only")
        if column.table:
            for table in tables_by_alias.get(column.table.lower(), ()):
                _check_column_of(table, column, tree)
            continue
        if _lambda_parameter(column):
            continue
        if name in hidden_names:
            raise SqlRefused(_column_refusal(column.name, tree))
        if _order_by_output(column):
            by_position.append(column)
            continue
        if name in source_names:
            raise SqlRefused(f"'{column.name}' refers to a whole table; name its columns "
                             "instead")
        if _output_alias(column):
            continue
        raise SqlRefused(_column_refusal(column.name, tree))
    for column in by_position:  # ORDER BY total -> ORDER BY 2: no name left for DuckDB to bind
        query = column.parent.parent.parent
        names = [n.lower() for n in query.named_selects]
        column.replace(exp.Literal.number(names.index(column.name.lower()) + 1))


def _check_column_of(table: str, column: exp.Column, tree: exp.Expression) -> None:
    if table in QUESTION_COLUMNS and column.name.lower() not in QUESTION_COLUMNS[table]:
        raise SqlRefused(_column_refusal(column.name, tree))


def _source_of(scope: Any, alias: str) -> Any:
    while scope is not None:
        if alias in scope.sources:
            source = scope.sources[alias]
            return source if isinstance(source, exp.Table) else getattr(source, "expression",
                                                                        source)
        scope = scope.parent
    return None


def _lambda_parameter(column: exp.Column) -> bool:
    for lam in _ancestors(column, exp.Lambda):
        if any(p.name.lower() == column.name.lower() for p in lam.expressions):
            return True
    return False


def _order_by_output(column: exp.Column) -> bool:
    """``ORDER BY total`` where ``total`` is an output of that query (DuckDB binds it first)."""
    ordered = column.parent
    if not isinstance(ordered, exp.Ordered) or not isinstance(ordered.parent, exp.Order):
        return False
    query = ordered.parent.parent
    return isinstance(query, exp.Query) and column.name.lower() in {
        n.lower() for n in query.named_selects}


def _output_alias(column: exp.Column) -> bool:
    """An unqualified column that names an output of the query it is in (ORDER BY total)."""
    for query in _ancestors(column, exp.Query):
        names = {n.lower() for n in query.named_selects}
        return column.name.lower() in names
    return False


def _ancestors(node: exp.Expression, kind: type[exp.Expression]) -> Iterator[Any]:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, kind):
            yield parent
        parent = parent.parent


def _drop_generated_aliases(tree: exp.Expression, original: set[str]) -> None:
    """Take back the ``_col_0`` aliases the qualifier gave unnamed outputs, so results keep
    DuckDB's own column names (``count_star()``)."""
    selects = [tree] if isinstance(tree, exp.Select) else [
        s for s in tree.find_all(exp.Select) if s.parent_select is None]
    for select in selects:
        if not isinstance(select, exp.Select) or select.find_ancestor(exp.Subquery, exp.CTE):
            continue
        referenced = {c.name for c in tree.find_all(exp.Column) if not c.table}
        for projection in select.expressions:
            if (isinstance(projection, exp.Alias) and _AUTO_ALIAS.fullmatch(projection.alias)
                    and projection.alias not in original and projection.alias not in referenced):
                projection.replace(projection.this)


def _inject_limit(tree: exp.Expression, limit: int) -> None:
    """``LIMIT limit`` when there is none or a larger one (and for ``FETCH FIRST``)."""
    current = tree.args.get("limit")
    value = None
    if isinstance(current, exp.Limit):
        if current.args.get("expressions"):
            raise SqlRefused("LIMIT must be a whole number of rows")
        value = current.expression
    elif isinstance(current, exp.Fetch):
        value = current.args.get("count")
    if value is not None:
        if not (isinstance(value, exp.Literal) and not value.is_string
                and re.fullmatch(r"\d+", value.this)):
            raise SqlRefused("LIMIT must be a whole number of rows")
        if int(value.this) <= limit:
            if isinstance(current, exp.Fetch):
                tree.set("limit", exp.Limit(expression=exp.Literal.number(int(value.this))))
            return
    tree.set("limit", exp.Limit(expression=exp.Literal.number(limit)))


# -- DuckDB's parser agrees (layer 3) ------------------------------------------------------------
_PARSER: duckdb.DuckDBPyConnection | None = None
_PARSER_LOCK = threading.Lock()
_TABLE_REFS = {"BASE_TABLE", "JOIN", "SUBQUERY", "EMPTY", "EXPRESSION_LIST"}


def _duckdb_tree(sql: str) -> dict[str, Any]:
    global _PARSER
    with _PARSER_LOCK:
        if _PARSER is None:
            _PARSER = duckdb.connect(config={
                "enable_external_access": False, "autoload_known_extensions": False,
                "autoinstall_known_extensions": False})
        text = _PARSER.execute("SELECT json_serialize_sql(?::VARCHAR)", [sql]).fetchone()[0]
    return json.loads(text)


def _check_with_duckdb(sql: str) -> None:
    """DuckDB parses the checked SQL as one SELECT over allowed tables and functions."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SqlRefused(f"DuckDB cannot parse the checked SQL: {_first_line(exc)}") from None
    kinds = [s.type.name for s in statements]
    if kinds != ["SELECT"]:
        raise SqlRefused(f"only one SELECT statement is allowed; DuckDB reads {kinds}")
    tree = _duckdb_tree(sql)
    if tree.get("error"):
        raise SqlRefused(f"DuckDB cannot parse the checked SQL: {tree.get('error_message')}")
    if len(tree.get("statements", [])) != 1:
        raise SqlRefused("only one SELECT statement is allowed")
    ctes: set[str] = set()
    _collect_ctes(tree, ctes)
    _walk_duckdb(tree, ctes)


def _collect_ctes(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            for entry in cte_map.get("map", []):
                found.add(str(entry.get("key", "")).lower())
        for value in node.values():
            _collect_ctes(value, found)
    elif isinstance(node, list):
        for value in node:
            _collect_ctes(value, found)


def _walk_duckdb(node: Any, ctes: set[str], in_order: bool = False) -> None:
    if isinstance(node, list):
        for value in node:
            _walk_duckdb(value, ctes, in_order)
        return
    if not isinstance(node, dict):
        return
    kind, cls = node.get("type"), node.get("class")
    if kind == "RECURSIVE_CTE_NODE":
        raise SqlRefused("recursive CTEs (WITH RECURSIVE) are not allowed: they can run forever")
    if cls in {"FUNCTION", "WINDOW", "AGGREGATE"} or (
            "function_name" in node and cls is not None):
        name = str(node.get("function_name", "")).lower()
        if node.get("catalog") or node.get("schema"):
            raise SqlRefused(f"function {node.get('schema')}.{name} is not allowed")
        operator = node.get("is_operator") and not re.search(r"[a-z]", name)
        if not operator and name not in ALLOWED_FUNCTIONS:
            raise SqlRefused(_function_refusal(name))
    if cls == "COLUMN_REF":
        parts = [str(p).lower() for p in node.get("column_names", [])]
        if set(parts) & _ALL_HIDDEN:
            raise SqlRefused(_column_refusal(parts[-1], exp.Select()))
        if len(parts) == 1 and parts[0] in QUESTION_TABLES:
            raise SqlRefused("a whole table is not a value: name its columns instead")
    if cls == "POSITIONAL_REFERENCE":
        raise SqlRefused("positional column references (#1) are not allowed: name the columns")
    if cls == "STAR" and not (in_order and _is_order_by_all(node)):
        raise SqlRefused("SELECT * could not be limited to the allowed columns: name the columns")
    if cls is None and kind is not None and "alias" in node and "sample" in node:
        if kind not in _TABLE_REFS:
            what = "table functions are" if kind == "TABLE_FUNCTION" else f"{kind} is"
            raise SqlRefused(f"{what} not allowed: questions read the store's tables only")
        if kind == "BASE_TABLE":
            name = str(node.get("table_name", "")).lower()
            schema_name = str(node.get("schema_name", "")).lower()
            if node.get("catalog_name") or schema_name not in {"", "main"}:
                raise SqlRefused(f"{schema_name or node.get('catalog_name')}.{name} is not "
                                 "allowed: questions read the store's tables in main only")
            if node.get("column_name_alias") or node.get("at_clause"):
                raise SqlRefused(f"renaming the columns of table '{name}' is not allowed: name "
                                 "the columns with AS in the SELECT instead")
            if name not in QUESTION_TABLES and not (name in ctes and not schema_name):
                raise SqlRefused(f"table '{name}' is not one of the tables questions may read: "
                                 f"{', '.join(QUESTION_TABLES)}")
    if node.get("sample"):
        raise SqlRefused("sampling is not allowed: answers must be reproducible")
    in_order = in_order or kind == "ORDER_MODIFIER"
    for value in node.values():
        _walk_duckdb(value, ctes, in_order)


def _is_order_by_all(star: dict[str, Any]) -> bool:
    """``ORDER BY ALL``: a bare star that only sorts by the query's own outputs."""
    return not star.get("relation_name") and not star.get("expr") and not any(
        star.get(k) for k in ("exclude_list", "replace_list", "rename_list",
                              "qualified_exclude_list"))


# -- running -----------------------------------------------------------------------------------
def run_sql(
    warehouse: Warehouse,
    sql: str,
    *,
    limit: int = DEFAULT_LIMIT,
    timeout_s: float = 10.0,
    memory_limit: str = "1GB",
) -> pd.DataFrame:
    """Check ``sql`` (:func:`check_sql`), then run it read-only on ``warehouse``: at most
    ``limit`` rows, stopped after ``timeout_s`` seconds, its memory capped at ``memory_limit``.

    Raises :class:`SqlRefused` for a refused query, :class:`SqlTooCostly` for one stopped for
    time or memory, and :class:`~shopkeeper.errors.WarehouseError` when DuckDB rejects it (a
    type error, an unknown value). The warehouse file is never written."""
    if not (isinstance(timeout_s, (int, float)) and 0 < timeout_s < math.inf):
        raise ValueError(f"timeout_s must be a positive number of seconds. Got {timeout_s!r} "
                         "instead.")
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*[KMGT]i?B\s*", memory_limit or "", re.I):
        raise ValueError(f"memory_limit must be a size such as '1GB'. Got {memory_limit!r} "
                         "instead.")
    checked = check_sql(sql, limit=limit)
    with _reader(warehouse, memory_limit) as con:
        return _execute(con, checked, limit=limit, timeout_s=timeout_s,
                        memory_limit=memory_limit)


@contextlib.contextmanager
def _reader(warehouse: Warehouse, memory_limit: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that cannot write the warehouse (layer 4; see the module docstring)."""
    if warehouse._closed:
        raise WarehouseError(f"the warehouse {warehouse.path} is closed")
    held = warehouse._open
    if held is None:
        con = _private_connection(warehouse, memory_limit)
        try:
            yield con
        finally:
            con.close()
        return
    with _SHARE_LOCK:
        cursor = held.cursor()
    try:
        cursor.execute(f"SET operator_memory_limit = '{memory_limit.strip()}'")
        cursor.execute("BEGIN TRANSACTION READ ONLY")
        try:
            yield cursor
        finally:
            with contextlib.suppress(duckdb.Error):
                cursor.execute("ROLLBACK")
    finally:
        cursor.close()


def _private_connection(warehouse: Warehouse, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """A read-only connection of our own: no files, no extensions, its own memory cap."""
    if not warehouse.path.exists():
        raise WarehouseError(f"no warehouse at {warehouse.path}; run 'shopkeeper init' or "
                             "'shopkeeper demo' first")
    config: dict[str, Any] = {
        "enable_external_access": False,
        "autoload_known_extensions": False,
        "autoinstall_known_extensions": False,
        "python_enable_replacements": False,
        "memory_limit": memory_limit,
        "temp_directory": "",
    }
    if warehouse.threads:
        config["threads"] = warehouse.threads
    deadline = time.monotonic() + warehouse.lock_timeout
    while True:
        try:
            con = duckdb.connect(str(warehouse.path), read_only=True, config=config)
            break
        except duckdb.ConnectionException as exc:
            raise WarehouseError(
                f"the warehouse {warehouse.path} is open elsewhere in this process with other "
                f"settings ({_first_line(exc)}): pass that Warehouse to run_sql") from exc
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise WarehouseError(f"cannot open warehouse {warehouse.path}: "
                                     f"{_first_line(exc)}") from exc
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"the warehouse {warehouse.path} is being written by another process: try "
                    "again when it finishes, or raise the lock_timeout setting") from exc
            time.sleep(0.2)
    try:
        # every day and month boundary is the store's midnight, as on the warehouse's own
        stored = stored_timezone(con)
        zone = warehouse.configured_timezone or (stored[0] if stored else warehouse.timezone)
        con.execute(f"SET TimeZone = '{_zone(zone)}'")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _zone(zone: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", zone):
        raise WarehouseError(f"unexpected time zone {zone!r}")
    return zone


def _execute(con: duckdb.DuckDBPyConnection, sql: str, *, limit: int, timeout_s: float,
             memory_limit: str) -> pd.DataFrame:
    """Run with a timer that interrupts it; fetch at most ``limit`` rows (layer 5)."""
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        con.interrupt()

    timer = threading.Timer(timeout_s, stop)
    timer.daemon = True
    timer.start()
    try:
        con.execute(sql)
        chunks, rows = [], 0
        while rows < limit:  # a chunk may hold fewer rows than asked for, so read on
            chunk = con.fetch_df_chunk(max(1, math.ceil((limit - rows) / 2048)))
            if chunks and chunk.empty:
                break
            chunks.append(chunk)
            rows += len(chunk)
            if chunk.empty:
                break
        df = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    except duckdb.InterruptException:
        raise SqlTooCostly(f"the query ran past {timeout_s:g} s and was stopped: ask about a "
                           "shorter period or fewer things at once") from None
    except duckdb.OutOfMemoryException:
        raise SqlTooCostly(f"the query needed more than {memory_limit} of memory and was "
                           "stopped: ask about a shorter period or fewer things at once") from None
    except (duckdb.PermissionException, duckdb.TransactionException) as exc:
        raise SqlRefused(f"refused by the read-only sandbox: {_first_line(exc)}") from None
    except duckdb.Error as exc:
        if fired.is_set():
            raise SqlTooCostly(f"the query ran past {timeout_s:g} s and was stopped") from None
        raise WarehouseError(f"query failed: {_first_line(exc)}") from exc
    finally:
        timer.cancel()
        timer.join()
    return df.head(limit).reset_index(drop=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
