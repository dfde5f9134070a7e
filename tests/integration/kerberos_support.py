"""What the Kerberos integration tests share (test_kerberos.py, test_kerberos_proxy.py)."""

from __future__ import annotations

import pytest
from servers.common import in_ci

#: 16 KiB and a bit: every byte value, and UTF-8, CR LF and NUL
PAYLOAD = bytes(range(256)) * 64 + "ünïcødé\r\n\x00".encode()


def require_python_kerberos() -> None:
    """pyspnego's Kerberos needs python-gssapi and krb5 (`requests-dav[kerberos]`)."""
    missing = []
    for module in ("spnego", "gssapi", "krb5"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        msg = f"Kerberos tests need {', '.join(missing)} (pip install 'requests-dav[kerberos]')"
        if in_ci():
            pytest.fail(f"{msg}; missing is a failure when CI=true", False)
        pytest.skip(msg)
