"""Server-side prepared statements on Django's own connection, for the few hot write paths (the
ledger's postings, audit rows, the webhook inbox) that are worth hand-written SQL.

Django opens psycopg connections with `prepare_threshold=None`, which makes psycopg ignore
`execute(..., prepare=True)`: the statement is then parsed and planned on every call. The first use
here gives the connection a threshold so that explicitly prepared statements are prepared (once per
connection). Django's own queries go through client-side binding cursors, which never prepare, so
nothing else changes. (Behind a transaction-pooling PgBouncer older than 1.21, prepared statements
need `max_prepared_statements`; CozonPay connects to PostgreSQL directly.)

Every Python int is sent as int8, so that one prepared plan serves whatever the magnitude of the
values (psycopg would otherwise choose int2/int4/int8/numeric per value and prepare each variant).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psycopg
from django.db import connection
from psycopg.pq import ExecStatus, TransactionStatus
from psycopg.types.numeric import Int8

_PREPARE_THRESHOLD = 2**31 - 1


def psycopg_connection() -> psycopg.Connection:
    # As Django's own cursors do: the once-per-request health check first, so that a persistent
    # connection the server has closed is replaced before a prepared statement is sent on it.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    conn = connection.connection
    if conn.prepare_threshold is None:
        conn.prepare_threshold = _PREPARE_THRESHOLD
    return conn


def _one(value):
    return Int8(value) if type(value) is int else value


def typed(params: dict | Sequence) -> dict | list:
    if isinstance(params, dict):
        return {key: _one(value) for key, value in params.items()}
    return [_one(value) for value in params]


def _rows(cursor: psycopg.Cursor) -> list[tuple]:
    """The statement's rows, [] when it returns none. (Asking `cursor.description` instead builds
    a Column object per column on every call: measurable on the hot paths.)"""
    result = cursor.pgresult
    return cursor.fetchall() if result is not None and result.status == ExecStatus.TUPLES_OK else []


def _begin_owed(conn: psycopg.Connection) -> bool:
    return not conn.autocommit and conn.info.transaction_status == TransactionStatus.IDLE


def execute_prepared(sql: str, params: dict | Sequence) -> list[tuple]:
    """Run one statement as a server-side prepared statement in the current transaction (or in
    autocommit outside one, like any Django query); return its rows ([] for none). When it is the
    transaction's first statement, the BEGIN travels in the same round trip."""
    conn = psycopg_connection()
    if _begin_owed(conn):
        return execute_pipelined([(sql, params)])[0]
    with connection.wrap_database_errors, psycopg.Cursor(conn) as cursor:
        cursor.execute(sql, typed(params), prepare=True)
        return _rows(cursor)


def execute_pipelined(statements: Sequence[tuple[str, dict | Sequence | None]]) -> list[list[tuple]]:
    """Run statements in order in one network round trip (psycopg pipeline mode); a BEGIN that
    Django's atomic() still owes travels with them. The server executes them one after the other;
    the first error aborts the rest and is raised."""
    conn = psycopg_connection()
    cursors = []
    with connection.wrap_database_errors:
        try:
            with conn.pipeline():
                for sql, params in statements:
                    cursor = psycopg.Cursor(conn)
                    cursors.append(cursor)
                    if params is None:
                        cursor.execute(sql)
                    else:
                        cursor.execute(sql, typed(params), prepare=True)
            return [_rows(cursor) for cursor in cursors]
        finally:
            for cursor in cursors:
                cursor.close()


def execute_as_transaction(statements: Sequence[tuple[str, dict | Sequence | None]]) -> list[list[tuple]]:
    """Run `statements` as one durable transaction; return each one's rows. When that transaction
    is the outermost (production), BEGIN, the statements and the COMMIT travel in one round trip;
    inside an enclosing atomic block (tests), they run in it, one by one."""
    from django.db import transaction

    with transaction.atomic(durable=True):
        if len(connection.atomic_blocks) == 1:
            return execute_pipelined([*statements, ("COMMIT", None)])[:-1]
        return [execute_prepared(sql, params) for sql, params in statements]


@dataclass(frozen=True)
class Statement:
    """A statement another module asks to run in a transaction it does not own (the ledger's), e.g.
    an outbox event that must exist if and only if a journal does. `on_rows(rows)` runs after it,
    inside that transaction's atomic block: use it for `transaction.on_commit` hooks only (with
    the ledger's one-round-trip path the COMMIT has already been sent by then)."""

    sql: str
    params: dict | Sequence | None = None
    on_rows: Callable[[list[tuple]], None] | None = None


class Columns:
    """Every concrete column of `model` under the SQL alias `alias`, for the few hand-written
    SELECTs on a hot path (run with `execute_prepared`), and the instance a row of them makes,
    built as the ORM builds it: the fields' database converters applied (a JSONField decoded),
    then `Model.from_db`. The column list follows the model, so a new field cannot be missed.

        WALLET = Columns(LedgerAccount, "w")
        rows = execute_prepared(f"SELECT {WALLET.sql} FROM wallets_ledgeraccount w WHERE ...", [...])
        wallet = WALLET.build(rows[0])            # or .build(row, start=WALLET.width) for a join

    (An ORM query with `select_related` costs about 0.6 ms of CPU to compile and load; prepared,
    the same read costs about a tenth.)"""

    def __init__(self, model, alias: str):
        self.model = model
        self.alias = alias
        self._fields = list(model._meta.concrete_fields)
        self._attnames = [field.attname for field in self._fields]
        self.sql = ", ".join(f'{alias}."{field.column}"' for field in self._fields)
        self.width = len(self._fields)
        self._converters: list[tuple[int, object, list]] | None = None

    def _converters_for(self) -> list[tuple[int, object, list]]:
        if self._converters is None:
            converters = []
            for index, field in enumerate(self._fields):
                column = field.get_col(self.alias)
                found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                if found:
                    converters.append((index, column, found))
            self._converters = converters
        return self._converters

    def build(self, row: Sequence, start: int = 0):
        values = list(row[start:start + self.width])
        for index, column, converters in self._converters_for():
            for convert in converters:
                values[index] = convert(values[index], column, connection)
        return self.model.from_db(connection.alias, self._attnames, values)
