"""Fixtures for the engine-equivalence suite: one local Spark session for the whole run
(starting the JVM costs seconds; local[2] on this 2-core machine)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from decisionframe.store.spark_store import spark_session

    session = spark_session("local[2]", shuffle_partitions=2)
    yield session
    session.stop()
