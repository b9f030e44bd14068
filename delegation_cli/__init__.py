"""delegation: budget ledger for French State management-delegation agreements."""

__version__ = "0.1.0"
