"""The netrc fallback of the credential store, the way requests reads netrc.

``netrc_file`` if given, else the file named by the ``NETRC`` environment variable, else
``~/.netrc`` then ``~/_netrc``; parsed once per file version (path, modification time, size).
An entry matches by host name only (any port; http/https only), else ``default``. A malformed
or unreadable file is ignored with a :class:`RuntimeWarning` that never quotes its contents
(a token of the file may be a password).
"""

from __future__ import annotations

import netrc as _netrc
import os
import threading
import warnings
from typing import Optional, Tuple

from .types import Credential

__all__ = ["NetrcSource"]

_CacheKey = Tuple[str, int, int]


class NetrcSource:
    """One netrc file (or the default search), read when asked and kept while unchanged."""

    def __init__(self, netrc_file: Optional[str] = None) -> None:
        self.netrc_file = netrc_file
        self._lock = threading.Lock()
        self._cache: Optional[Tuple[_CacheKey, Optional[_netrc.netrc]]] = None

    def reset(self) -> None:
        """Forget the parsed file: the next lookup reads it again."""
        with self._lock:
            self._cache = None

    def path(self) -> Optional[str]:
        """The file to read, or ``None`` when there is none."""
        if self.netrc_file is not None:
            return self.netrc_file
        env = os.environ.get("NETRC")
        candidates = (env,) if env is not None else ("~/.netrc", "~/_netrc")
        for candidate in candidates:
            path = os.path.expanduser(candidate)
            if os.path.exists(path):
                return path
        return None

    def load(self) -> Optional[_netrc.netrc]:
        """The parsed file (from the cache while it is unchanged), or ``None``."""
        path = self.path()
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        key = (path, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if self._cache is not None and self._cache[0] == key:
                return self._cache[1]
        parsed: Optional[_netrc.netrc]
        try:
            parsed = _netrc.netrc(path)
        except _netrc.NetrcParseError as exc:
            # exc.msg may quote a token of the file (possibly a password): never show it
            warnings.warn(
                f"ignoring malformed netrc file {exc.filename} (line {exc.lineno})",
                RuntimeWarning,
                stacklevel=5,
            )
            parsed = None
        except (OSError, UnicodeDecodeError) as exc:
            warnings.warn(
                f"ignoring unreadable netrc file {path}: {type(exc).__name__}",
                RuntimeWarning,
                stacklevel=5,
            )
            parsed = None
        with self._lock:
            self._cache = (key, parsed)
        return parsed

    def find(self, host: str) -> Optional[Credential]:
        """The credential of ``host`` (normalised, IPv6 without brackets), else ``default``."""
        parsed = self.load()
        if parsed is None:
            return None
        found = None
        for machine, values in parsed.hosts.items():
            if machine != "default" and machine.lower().strip("[]") == host:
                found = values
                break
        if found is None:
            found = parsed.hosts.get("default")
        if found is None:
            return None
        login, account, password = found
        return Credential(login or account or "", password or "")
