"""Models of the wallets app."""
