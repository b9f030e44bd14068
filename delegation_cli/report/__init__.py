"""Report: the figures of a month, their tables and every format they are rendered in."""
