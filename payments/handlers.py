"""Event and webhook handlers of the payments app. Imported at startup to register them."""
