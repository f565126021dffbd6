"""Schema migrations for the store's own bookkeeping tables, recorded in the store.

Each migration runs once, in order, inside a transaction; the applied versions are kept
in ``df_migrations`` so an old store is brought forward when a newer decisionframe opens it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "import log and column catalogue",
        (
            """CREATE TABLE df_imports (
                batch_id VARCHAR NOT NULL,
                table_name VARCHAR NOT NULL,
                source_path VARCHAR NOT NULL,
                sha256 VARCHAR NOT NULL,
                rows BIGINT NOT NULL,
                fingerprint VARCHAR NOT NULL,
                imported_at TIMESTAMP NOT NULL
            )""",
            """CREATE TABLE df_columns (
                table_name VARCHAR NOT NULL,
                column_name VARCHAR NOT NULL,
                logical_type VARCHAR NOT NULL,
                role VARCHAR NOT NULL,
                source_column VARCHAR NOT NULL,
                pseudonymized BOOLEAN NOT NULL
            )""",
        ),
    ),
    Migration(
        2,
        "analysis runs with provenance",
        (
            """CREATE TABLE df_runs (
                run_id VARCHAR NOT NULL,
                kind VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL,
                provenance JSON NOT NULL,
                result JSON NOT NULL
            )""",
        ),
    ),
    Migration(
        3,
        "every saved version of theory.yaml (the editor's history)",
        (
            """CREATE TABLE df_theory_versions (
                version_id VARCHAR NOT NULL,
                saved_at TIMESTAMP NOT NULL,
                author VARCHAR NOT NULL,
                message VARCHAR NOT NULL,
                sha256 VARCHAR NOT NULL,
                diff VARCHAR NOT NULL,
                text VARCHAR NOT NULL
            )""",
        ),
    ),
    Migration(
        4,
        "rows set aside by an import with on_error: quarantine (by file and line, no values)",
        (
            """CREATE TABLE df_quarantine (
                batch_id VARCHAR NOT NULL,
                table_name VARCHAR NOT NULL,
                file VARCHAR NOT NULL,
                line BIGINT NOT NULL,
                rule VARCHAR NOT NULL,
                column_name VARCHAR NOT NULL
            )""",
        ),
    ),
    Migration(
        5,
        "web app: accounts, audit log of every write, staff labels",
        (
            # Passwords are argon2id hashes (argon2-cffi); the plain password is never stored.
            """CREATE TABLE df_users (
                username VARCHAR PRIMARY KEY,
                role VARCHAR NOT NULL,
                password_hash VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL,
                disabled BOOLEAN NOT NULL DEFAULT false
            )""",
            """CREATE TABLE df_audit (
                happened_at TIMESTAMP NOT NULL,
                username VARCHAR NOT NULL,
                action VARCHAR NOT NULL,
                detail JSON NOT NULL
            )""",
            # One row per label given: who said what about which item, when. An item is a
            # touchpoint (kind 'contact': value/failure + reason) or a feedback comment
            # (kind 'comment': themes separated by ';'). Ids are the store's own
            # (pseudonymized where configured); nothing here is shown without them.
            """CREATE TABLE df_labels (
                item_kind VARCHAR NOT NULL,
                item_id VARCHAR NOT NULL,
                label VARCHAR NOT NULL,
                reason VARCHAR,
                username VARCHAR NOT NULL,
                labelled_at TIMESTAMP NOT NULL
            )""",
        ),
    ),
    Migration(
        6,
        "the day an import counted ages to (as_of), so the same export gives the same ages",
        # Nullable: a table without a date-of-birth column, and every import before this.
        ("ALTER TABLE df_imports ADD COLUMN as_of DATE",),
    ),
)
