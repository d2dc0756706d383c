"""Rate limits: login per IP and per account, money-moving requests per user, verify per user.
Rates come from settings (THROTTLE_* environment variables)."""

from rest_framework.throttling import SimpleRateThrottle

from .context import current_client_ip


class LoginIpThrottle(SimpleRateThrottle):
    scope = "login_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": current_client_ip() or self.get_ident(request)}


class LoginAccountThrottle(SimpleRateThrottle):
    """Per target account, so a botnet rotating IPs still cannot hammer one customer's password."""

    scope = "login_account"

    def get_cache_key(self, request, view):
        import hashlib

        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email:
            return None
        # Hashed: the key stays short and printable whatever a client sends as an email.
        ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class MoneyThrottle(SimpleRateThrottle):
    scope = "money"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class VerifyThrottle(MoneyThrottle):
    scope = "verify"
