"""What identifies a cached result: the code that computed it, and where caches live.

Both caches (``cache.py``'s replay state beside a ledger, ``convention.py``'s validated
convention snapshots) are keyed by the digest of the source files whose code decides their
content, so that a new version of the program never reads an old cache as its own.
``DELEGATION_CACHE=off`` disables every cache.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

HERE = Path(__file__).parent


def caches_enabled() -> bool:
    return os.environ.get("DELEGATION_CACHE", "on").strip().lower() not in ("off", "0", "no", "false")


def code_digest(*modules: str) -> str | None:
    """Digest of the Python version and of the named modules' source files; None when they
    cannot be read (an installation without sources): no cache is then used."""
    h = hashlib.blake2b(sys.version.encode(), digest_size=16)
    try:
        for name in modules:
            h.update(name.encode() + b"\0" + (HERE / name).read_bytes())
    except OSError:
        return None
    return h.hexdigest()


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/delegation``, else ``~/.cache/delegation``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "delegation"
