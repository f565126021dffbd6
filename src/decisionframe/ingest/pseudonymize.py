"""Keyed pseudonymization of identifiers (HMAC-SHA-256).

The key lives in ``DIR/.decisionframe/key`` (created on first import) or in an environment
variable; it is never written into the store, so the store alone cannot be re-identified
by hashing guessed identifiers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104)
DIGEST_HEX_CHARS = 32  # 128 bits of the HMAC: truncation as allowed by RFC 2104 section 5


@dataclass(frozen=True)
class PseudonymKey:
    """A secret key for HMAC-SHA-256 pseudonyms."""

    secret: bytes

    def pseudonym(self, value: str) -> str:
        """The pseudonym of one identifier (reference implementation of the SQL below)."""
        digest = hmac.new(self.secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:DIGEST_HEX_CHARS]

    def _pads(self) -> tuple[bytes, bytes]:
        key = self.secret
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        inner = bytes(b ^ 0x36 for b in key)
        outer = bytes(b ^ 0x5C for b in key)
        return inner, outer

    def sql_expression(self, column_sql: str) -> str:
        """A DuckDB expression computing the same pseudonym for every row in bulk.

        HMAC is written out from SHA-256 because DuckDB has sha256 but no hmac function;
        doing it in SQL keeps pseudonymization vectorized inside the store instead of a
        Python loop over millions of rows. Tests check it against ``hmac`` from the stdlib.
        """
        inner, outer = self._pads()
        inner_hex, outer_hex = inner.hex(), outer.hex()
        inner_hash = f"unhex(sha256(unhex('{inner_hex}') || encode({column_sql})))"
        return (
            f"CASE WHEN {column_sql} IS NULL THEN NULL ELSE "
            f"substr(sha256(unhex('{outer_hex}') || {inner_hash}), 1, {DIGEST_HEX_CHARS}) END"
        )


def load_or_create_key(key_file: Path, *, env_var: str) -> PseudonymKey:
    """Key from ``env_var`` if set (hex or text), else from ``key_file``, created if absent."""
    from_env = os.environ.get(env_var)
    if from_env:
        try:
            return PseudonymKey(bytes.fromhex(from_env))
        except ValueError:
            return PseudonymKey(from_env.encode("utf-8"))
    if key_file.exists():
        return PseudonymKey(bytes.fromhex(key_file.read_text(encoding="ascii").strip()))
    key_file.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret.hex() + "\n")
    return PseudonymKey(secret)
