"""Database roles for a PostgreSQL store: read-only analysts and importers.

Two group roles (NOLOGIN); people's own login roles are made members of one of them:

- ``decisionframe_importer`` owns the tables (a store opened for writing by a member acts
  as this role), so any importer can replace them; it may create tables in the schema.
- ``decisionframe_analyst`` may read every table and add rows to ``df_runs`` (the log of
  analyses, so `analyze` can record its run), nothing else: it cannot change the data.

Every name goes through ``psycopg.sql.Identifier``; nothing is spliced as text.
"""

from __future__ import annotations

from psycopg import sql

from decisionframe.store.postgres_store import ANALYST_ROLE, IMPORTER_ROLE, PostgresStore


def role_statements(database: str, tables: list[str], schema: str = "public") -> list[sql.Composed]:
    """The statements that set up both roles on ``database`` (idempotent where PostgreSQL
    allows; roles that exist already are left as they are)."""
    analyst, importer = sql.Identifier(ANALYST_ROLE), sql.Identifier(IMPORTER_ROLE)
    db, ns = sql.Identifier(database), sql.Identifier(schema)
    statements = [
        sql.SQL(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) THEN "
            "CREATE ROLE {role} NOLOGIN; END IF; END $$"
        ).format(name=sql.Literal(name), role=sql.Identifier(name))
        for name in (ANALYST_ROLE, IMPORTER_ROLE)
    ]
    statements += [
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}, {}").format(db, analyst, importer),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ns, analyst),
        sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(ns, importer),
    ]
    statements += [
        sql.SQL("ALTER TABLE {}.{} OWNER TO {}").format(ns, sql.Identifier(t), importer)
        for t in tables
    ]
    statements += [
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(ns, analyst),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}"
        ).format(importer, ns, analyst),
        sql.SQL("GRANT INSERT ON {}.df_runs TO {}").format(ns, analyst),
    ]
    return statements


def set_up_roles(store: PostgresStore) -> list[str]:
    """Create the two roles and grant them on the store's database; return the SQL run.

    Needs a user allowed to create roles (CREATEROLE) and owning the tables, typically
    the database's owner. Run again after adding tables by hand; harmless twice.
    """
    database = str(store.rows("SELECT current_database()", raw=True)[0][0])
    tables = [
        str(r[0])
        for r in store.rows(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
            raw=True,
        )
    ]
    done = []
    with store.transaction():
        for statement in role_statements(database, tables):
            store.execute_composed(statement)
            done.append(statement.as_string(store.connection))
    return done


def grant_statement(user: str, *, analyst: bool) -> sql.Composed:
    """``GRANT decisionframe_analyst|importer TO user`` for a person's login role."""
    role = ANALYST_ROLE if analyst else IMPORTER_ROLE
    return sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), sql.Identifier(user))


__all__ = ["grant_statement", "role_statements", "set_up_roles"]
