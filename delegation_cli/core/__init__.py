"""Core: the rules and values of the domain, without any input or output."""
