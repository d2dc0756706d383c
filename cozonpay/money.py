"""Formatting integer kobo for people. Integer arithmetic only: no float ever touches money."""


def format_naira(kobo: int | None) -> str:
    """250050 -> "₦2,500.50"; -100 -> "-₦1.00"; None -> "-"."""
    if kobo is None:
        return "-"
    sign = "-" if kobo < 0 else ""
    whole, part = divmod(abs(int(kobo)), 100)
    return f"{sign}₦{whole:,}.{part:02d}"
