from cozonpay.exceptions import DomainError


class InvalidPin(DomainError):
    code = "invalid_pin"
    http_status = 403
    default_message = "The PIN is incorrect."


class PinNotSet(DomainError):
    code = "pin_not_set"
    http_status = 403
    default_message = "Set a transaction PIN first."


class PinLocked(DomainError):
    code = "pin_locked"
    http_status = 423
    default_message = "Too many wrong PINs."


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    http_status = 403
    default_message = "The current password or PIN is incorrect."


class RegistrationRefused(DomainError):
    code = "validation_error"
    http_status = 400
