"""What the page benchmarks share (bench_ledger.py, bench_ranking.py): a throwaway PostgreSQL
database, and a page's wall time through Django's test client with its queries and size,
printed beside /healthz/ of the same run (docs/benchmarks.md). Imported after django.setup()."""

from __future__ import annotations

import statistics
import sys
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

WARM_UP = 3  # templates compiled, the connection open


@contextmanager
def throwaway_database(script: str):
    """A migrated ``test_<name>`` database for the run, dropped after it; PostgreSQL only, as
    the figures are recorded for it."""
    if connection.vendor != "postgresql":
        sys.exit(f"{script} needs PostgreSQL: set DATABASE_URL=postgres://...")
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def measure(client: Client, url: str, runs: int) -> dict:
    for _ in range(WARM_UP):
        assert client.get(url).status_code == 200, url
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        walls.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return {"walls": walls, "queries": len(queries), "bytes": len(response.content)}


def report(label: str, result: dict, floor: float | None = None) -> None:
    walls = sorted(result["walls"])
    median = statistics.median(walls)
    ratio = f"  {median / floor:6.0f}× /healthz/" if floor else ""
    print(
        f"{label:<24} median {median:8.2f} ms  p95 {walls[int(0.95 * (len(walls) - 1))]:8.2f} ms"
        f"  {result['queries']:3d} queries  {result['bytes']:>9,} bytes{ratio}"
    )
