"""How a Monnify call failed, classified so callers know what they may do next.

- ``retryable``: nothing happened at Monnify (connection refused, 5xx or timeout on a read, 429).
  Reads are retried here with backoff; a caller may retry a write with the same reference.
- ``unknown``: a write (POST) may or may not have been done: timeout or 5xx after the request
  was sent. Resolve by querying with the same reference, never by resubmitting with a new one.
- ``terminal``: Monnify refused (4xx, ``requestSuccessful: false``, a business refusal such as
  D07). Retrying the same request will not help.
"""

from __future__ import annotations

RETRYABLE = "retryable"
UNKNOWN = "unknown"
TERMINAL = "terminal"


class MonnifyError(Exception):
    kind: str = TERMINAL

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        http_status: int | None = None,
        response_code: str | None = None,
        response_message: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.http_status = http_status
        self.response_code = response_code
        self.response_message = response_message

    def __str__(self) -> str:
        bits = [self.message]
        if self.method or self.path:
            bits.append(f"[{self.method} {self.path}]")
        if self.http_status is not None:
            bits.append(f"http={self.http_status}")
        if self.response_code:
            bits.append(f"code={self.response_code}")
        return " ".join(bits)

    @property
    def is_retryable(self) -> bool:
        return self.kind == RETRYABLE

    @property
    def is_unknown_outcome(self) -> bool:
        return self.kind == UNKNOWN

    @property
    def is_terminal(self) -> bool:
        return self.kind == TERMINAL


class MonnifyRetryableError(MonnifyError):
    """Nothing was done at Monnify; safe to try again (same reference)."""

    kind = RETRYABLE


class MonnifyUnknownOutcome(MonnifyError):
    """A write may have been done. Query by reference before doing anything else."""

    kind = UNKNOWN


class MonnifyTerminalError(MonnifyError):
    """Monnify refused the request. ``response_code`` is Monnify's (``"99"``, ``"D07"``, ``"R3"``...)."""

    kind = TERMINAL


class MonnifyNotFound(MonnifyTerminalError):
    """HTTP 404: no such transaction, transfer, refund or reserved account."""


class MonnifyAuthError(MonnifyTerminalError):
    """Credentials refused (login 401/403), or a bearer token refused twice in a row."""


class MonnifyInvalidResponse(MonnifyTerminalError):
    """A read answered with something we cannot parse (bad JSON, an amount with 3 decimals...)."""
