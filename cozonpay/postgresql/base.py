"""Django's PostgreSQL backend with a health check that costs no round trip.

With persistent connections (`CONN_MAX_AGE`) and `CONN_HEALTH_CHECKS`, Django checks the
connection once per request before reusing it, by sending `SELECT 1`: one more round trip on every
request, for PostgreSQL, the kernel and the web process. A connection the server has closed (a
restart, `pg_terminate_backend`, an idle timeout) is known to the client before it is used: the
server sends its FATAL message and closes the socket, so the idle socket turns readable. This
check asks libpq's state and polls the socket without waiting: an idle connection with something
to read, or in a bad state, is closed and reopened; a healthy one is reused as it is. (A
connection can still break between the check and its use, exactly as after a `SELECT 1`.)
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq

_GONE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP | select.POLLNVAL


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.pgconn.status != pq.ConnStatus.OK:
            return False
        if conn.info.transaction_status not in (pq.TransactionStatus.IDLE, pq.TransactionStatus.INTRANS):
            return False  # ACTIVE, INERROR or UNKNOWN: not a connection to hand to a new request
        poller = select.poll()
        poller.register(conn.pgconn.socket, _GONE)
        return not poller.poll(0)  # anything pending on an idle connection means the server spoke last
