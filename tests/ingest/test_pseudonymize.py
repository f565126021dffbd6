import hashlib
import hmac

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from decisionframe.ingest.pseudonymize import DIGEST_HEX_CHARS, PseudonymKey


@settings(max_examples=60, deadline=None)
@given(secret=st.binary(min_size=1, max_size=100), value=st.text(min_size=0, max_size=40))
def test_sql_hmac_matches_stdlib(secret: bytes, value: str) -> None:
    key = PseudonymKey(secret)
    con = duckdb.connect()
    got = con.execute(f"SELECT {key.sql_expression('$1')}", [value]).fetchone()
    expected = hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:DIGEST_HEX_CHARS]
    assert got is not None
    assert got[0] == expected == key.pseudonym(value)


def test_null_stays_null() -> None:
    con = duckdb.connect()
    expression = PseudonymKey(b"k").sql_expression("CAST(NULL AS VARCHAR)")
    assert con.execute(f"SELECT {expression}").fetchone() == (None,)
