"""The project-free whole steps: canonical tables as DataFrames, the project's own code."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

import decisionframe as dfr
from decisionframe.memory import memory_store


def _contacts() -> pd.DataFrame:
    # Client A calls twice about the same claim within a week (the second is failure
    # demand: chasing); client B calls once.
    return pd.DataFrame(
        {
            "touchpoint_id": ["t1", "t2", "t3"],
            "client_id": ["A", "A", "B"],
            "started_at": ["2025-01-06 09:00:00", "2025-01-08 10:00:00", "2025-01-07 11:00"],
            "channel": ["phone", "phone", "web"],
            "reason": ["new claim", "chasing my claim", "new claim"],
            "respect": [4, 2, 5],
        }
    )


def test_frames_get_the_canonical_types_and_a_catalogue() -> None:
    with memory_store({"touchpoints": _contacts()}) as store:
        types = dict(store.table_columns("touchpoints"))
        assert types["started_at"].upper().startswith("TIMESTAMP")
        assert types["resolved"] == "BOOLEAN"  # absent optional column: NULL, typed
        assert types["respect"] == "BIGINT"  # an attribute column kept as it is
        roles = dict(
            store.rows("SELECT column_name, role FROM df_columns WHERE table_name = 'touchpoints'")
        )
        assert roles["respect"] == "attribute"
        assert roles["channel"] == "canonical"


def test_arrow_tables_work_like_frames() -> None:
    with memory_store({"touchpoints": pa.Table.from_pandas(_contacts())}) as store:
        assert store.rows("SELECT count(*) FROM touchpoints") == [(3,)]


def test_demand_on_frames_finds_the_chasing_call() -> None:
    result = dfr.demand_tables({"touchpoints": _contacts()})
    assert result.to_dict()["kind"] == "demand"
    assert "3 contacts" in result.summary()


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"touchpoints": _contacts().drop(columns=["channel"])}, "no column 'channel'"),
        (
            {"touchpoints": _contacts().assign(started_at=["soon", "later", "never"])},
            "column 'started_at' has values that are not timestamp",
        ),
        ({"contacts": _contacts()}, "unknown table 'contacts'"),
    ],
)
def test_bad_frames_are_clear_errors(tables: dict[str, pd.DataFrame], message: str) -> None:
    with pytest.raises(dfr.ProjectError, match=message) as caught:
        dfr.demand_tables(tables)
    assert "chasing" not in str(caught.value)  # no value from the data in the message
