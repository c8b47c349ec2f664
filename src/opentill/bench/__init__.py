"""``opentill bench``: sync many orders through the real server, close, and compare.

The bench creates a fresh database (a SQLite file in a temporary directory, or a database of
its own on a PostgreSQL server), loads the demo shop, starts ``opentill serve`` on loopback
as a subprocess, syncs N generated orders through the HTTP API in batches from concurrent
clients, closes the session and prints ingest orders/s, close seconds, the server's peak
memory and the number of journal lines. Beside it, a baseline: the same rows written with
plain SQL inserts into the same database engine, and the ratio of the two.

Only the standard library, psycopg for PostgreSQL and the server's own pure pricing
(:mod:`opentill.orders.pricing`, no Django) run in this process: Django runs in the server
subprocess, as in production.

Modules: :mod:`~opentill.bench.database` (the fresh database), :mod:`~opentill.bench.server`
(the server subprocess and its memory), :mod:`~opentill.bench.client` (HTTP),
:mod:`~opentill.bench.orders` (the generated orders, priced as the server prices them),
:mod:`~opentill.bench.ingest`, :mod:`~opentill.bench.close`, :mod:`~opentill.bench.baseline`,
:mod:`~opentill.bench.report` and :mod:`~opentill.bench.command` (options and the run).
"""

from opentill.bench.command import add_arguments, main, run
from opentill.bench.errors import BenchError

__all__ = ["BenchError", "add_arguments", "main", "run"]
