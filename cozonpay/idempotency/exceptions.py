from cozonpay.exceptions import DomainError


class IdempotencyKeyRequired(DomainError):
    code = "idempotency_key_required"
    http_status = 400
    default_message = "This request needs an Idempotency-Key header (1 to 255 printable ASCII characters)."


class IdempotencyRequestInProgress(DomainError):
    code = "idempotency_request_in_progress"
    http_status = 409
    default_message = "A request with this Idempotency-Key is still being processed. Retry shortly."


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    http_status = 422
    default_message = "This Idempotency-Key was already used with a different request body."
