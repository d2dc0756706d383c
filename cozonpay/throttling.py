"""Rate limits: login per IP and per account, money-moving requests per user, verify per user,
and the default anonymous and per-user limits. Rates come from settings (THROTTLE_* environment
variables).

Every throttle here counts atomically (`AtomicRateThrottle`): DRF's own throttles read a list of
timestamps, append to it and write it back, so N concurrent requests all read the same list and
all pass. Fifty parallel password guesses against a 10/min limit would all have been tried.

The counters live in Redis. When Redis does not answer, a throttle cannot count: the request rate
limits let the request through (the API stays up; the outage is logged, and the database still
enforces PIN lockout, limits and idempotency), while the per-account login limit, the one defence
against guessing a known customer's password, refuses it as `throttled` with a Retry-After of
cozonpay.cache.RETRY_AFTER_SECONDS. Customers with a token keep working; a new login waits."""

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from .cache import RETRY_AFTER_SECONDS, CacheUnavailable, counter_increment
from .context import current_client_ip


class AtomicRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's rates and keys, counted atomically with a sliding window: one atomic
    increment of this window's counter, read together with the previous window's, per request.
    The estimate is this window's count plus the previous window's weighted by how much of it the
    sliding window still covers, so a burst at the end of one window and another at the start of
    the next cannot pass twice the rate. Refused requests count too, so hammering keeps a client
    out. Concurrent requests cannot slip through together: each gets its own count."""

    fail_closed = False  # when the counters are unreachable: True refuses the request, False lets it through

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.retry_after = (window + 1) * self.duration - self.now
        try:
            current, previous = counter_increment(self.cache, f"{self.key}:{window}", 2 * self.duration + 1,
                                                  also_read=f"{self.key}:{window - 1}")
        except CacheUnavailable:
            self.retry_after = RETRY_AFTER_SECONDS
            return not self.fail_closed
        previous_weight = 1 - (self.now - window * self.duration) / self.duration
        return current + previous * previous_weight <= self.num_requests

    def wait(self):
        return max(self.retry_after, 0.0)

    def get_ident(self, request):
        # The client's address as the rest of the app sees it (TRUSTED_PROXY aware).
        return current_client_ip() or super().get_ident(request)


class AnonThrottle(AtomicRateThrottle, AnonRateThrottle):
    """Anonymous requests per client IP (the `anon` rate)."""


class UserThrottle(AtomicRateThrottle, UserRateThrottle):
    """Authenticated requests per user (the `user` rate)."""


class LoginIpThrottle(AtomicRateThrottle):
    scope = "login_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": current_client_ip() or self.get_ident(request)}


class LoginAccountThrottle(AtomicRateThrottle):
    """Per target account, so a botnet rotating IPs still cannot hammer one customer's password.
    Refuses while the counters are unreachable (module docstring)."""

    scope = "login_account"
    fail_closed = True

    def get_cache_key(self, request, view):
        import hashlib

        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email:
            return None
        # Hashed: the key stays short and printable whatever a client sends as an email.
        ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class MoneyThrottle(AtomicRateThrottle):
    scope = "money"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class VerifyThrottle(MoneyThrottle):
    scope = "verify"
