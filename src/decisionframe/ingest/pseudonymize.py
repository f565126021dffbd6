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
import warnings
from dataclasses import dataclass
from pathlib import Path

from decisionframe.errors import ProjectError

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


MIN_KEY_BYTES = 32  # 256 bits: the key is what stands between a pseudonym and a guessed id


class PseudonymKeyError(ProjectError):
    """The pseudonymization key is missing, weak or not secret."""


def _parse_key(text: str, where: str) -> PseudonymKey:
    try:
        secret = bytes.fromhex(text.strip())
    except ValueError:
        secret = b""
    if len(secret) < MIN_KEY_BYTES:
        raise PseudonymKeyError(
            f"{where} is not a pseudonymization key of at least {MIN_KEY_BYTES * 8} bits "
            f"({MIN_KEY_BYTES * 2} hex digits). A short or guessable key lets anyone with the "
            "store re-identify every client by hashing guessed ids. Hint: let decisionframe "
            "generate one (delete the setting; it writes .decisionframe/key on first "
            "import), or set the variable to the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    return PseudonymKey(secret)


def load_or_create_key(
    key_file: Path, *, env_var: str, has_pseudonyms: bool = False
) -> PseudonymKey:
    """Key from ``env_var`` if set, else from ``key_file``, created if absent.

    Either must be at least 256 bits written as hex; anything else (a password, ``00``, a
    variable such as HOME that holds no secret) is refused, not stretched. A key file that
    others can read is warned about. A missing key is created only when the store holds no
    pseudonyms yet (``has_pseudonyms``): a new key would silently break every link to the
    pseudonyms already stored.
    """
    from_env = os.environ.get(env_var)
    if from_env:
        return _parse_key(from_env, f"environment variable {env_var}")
    if key_file.exists():
        key = _parse_key(key_file.read_text(encoding="ascii", errors="replace"), str(key_file))
        if os.name == "posix" and key_file.stat().st_mode & 0o077:
            warnings.warn(
                f"{key_file} can be read by other users of this machine; "
                f"run `chmod 600 {key_file}`",
                KeyFileWarning,
                stacklevel=2,
            )
        return key
    if has_pseudonyms:
        raise PseudonymKeyError(
            f"the pseudonymization key is missing ({key_file} does not exist and "
            f"{env_var} is not set), but the store already holds pseudonyms made with it. "
            "A new key would make every stored pseudonym unmatchable. Hint: restore the key "
            "file from your backup (or set the variable); to start over on purpose, delete "
            "the store."
        )
    key_file.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(MIN_KEY_BYTES)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret.hex() + "\n")
    return PseudonymKey(secret)


class KeyFileWarning(UserWarning):
    """The key file's permissions let other users read it."""
