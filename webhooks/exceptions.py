from cozonpay.exceptions import DomainError


class WebhookNotReplayable(DomainError):
    code = "webhook_not_replayable"
    http_status = 409
    default_message = "This webhook is being processed right now; try again in a moment."
