"""Bounded fuzzing of the CSV and YAML readers in the test suite (a few seconds)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.readers import fuzz_csv, fuzz_yaml

# Bytes that look like the files they are read as: fragments of CSV and YAML syntax mixed
# with arbitrary bytes, so the readers' parsers are reached, not only their first check.
_CSV_PARTS = st.sampled_from(
    [
        b'"client_id","age"\n',
        b"client_id,age\n",
        b'"C1",',
        b"4\n",
        b'"',
        b",",
        b"\n",
        b"\r\n",
        b";",
        b"\x00",
        b"\xff",
        b"12345678901234567890123",
        b'""',
        b"\t",
        b"C2,\n",
    ]
)
_YAML_PARTS = st.sampled_from(
    [
        b"name: X\n",
        b"a: &a [1]\n",
        b"b: *a\n",
        b"- ",
        b"[",
        b"]",
        b"{",
        b"}",
        b": ",
        b"\n  ",
        b"'",
        b'"',
        b"!!python/object ",
        b"\x00",
        b"\xfe",
        b"? ",
        b"name: Y\n",
        b"#",
    ]
)
csv_bytes = st.one_of(st.binary(max_size=300), st.lists(_CSV_PARTS, max_size=40).map(b"".join))
yaml_bytes = st.one_of(st.binary(max_size=300), st.lists(_YAML_PARTS, max_size=60).map(b"".join))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=csv_bytes)
def test_csv_reader_never_raises_anything_else(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        fuzz_csv(data, Path(folder))


@settings(max_examples=100, deadline=None)
@given(data=yaml_bytes)
def test_yaml_reader_never_raises_anything_else(data: bytes) -> None:
    fuzz_yaml(data)
