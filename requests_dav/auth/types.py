"""Small value types shared across the authentication core.

:class:`Credential` (a username and a password source for one protection space, RFC 7235
section 2.2) is read by the store (:mod:`requests_dav.auth.credentials`), the schemes
(:mod:`requests_dav.auth.schemes`) and the message views (:mod:`requests_dav.auth.messages`).
Keeping it here, with nothing of the core imported, lets those modules import it without
importing each other.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple, Union

__all__ = ["Credential", "PasswordSource", "Strength"]

PasswordSource = Union[str, bytes, Callable[[str, Optional[str], int], Union[str, bytes, None]]]
"""A password, or a callable asked with ``(url, realm, attempt)`` (``attempt`` starts at 1) that
returns the password, or ``None`` to give up."""


@dataclass(frozen=True)
class Credential:
    """A username and password (or password source) for one protection space.

    ``realm`` ``None`` means any realm of the matching space. ``encoding`` overrides the Basic
    charset for this credential (RFC 7617 section 2.1, e.g. ``"latin-1"`` for old servers);
    ``None`` leaves it to the scheme. ``repr`` and ``str`` show ``password=<hidden>``; equality
    does compare passwords.
    """

    username: str
    password: PasswordSource = field(repr=False)
    realm: Optional[str] = None
    encoding: Optional[str] = None

    def __post_init__(self) -> None:
        if not isinstance(self.username, str):
            raise TypeError(f"username must be a str, not {type(self.username).__name__}")
        password: object = self.password
        if isinstance(password, (bytearray, memoryview)):
            object.__setattr__(self, "password", bytes(password))
        elif not isinstance(password, (str, bytes)) and not callable(password):
            raise TypeError(
                "password must be a str, bytes or a callable (url, realm, attempt) -> "
                f"str | bytes | None, not {type(password).__name__}"
            )
        if self.realm is not None and not isinstance(self.realm, str):
            raise TypeError(f"realm must be a str or None, not {type(self.realm).__name__}")
        if self.encoding is not None:
            "".encode(self.encoding)  # LookupError now rather than at the first challenge

    @property
    def interactive(self) -> bool:
        """The password is a callable, asked each time (e.g. a prompt)."""
        return callable(self.password)

    def password_for(
        self, url: str, realm: Optional[str], attempt: int
    ) -> Optional[Union[str, bytes]]:
        """The password to use for ``url`` in ``realm`` on try number ``attempt`` (from 1).

        A callable password source is called with ``(url, realm, attempt)``; ``None`` means
        "give up". :class:`TypeError` if it returns anything but str, bytes or None.
        """
        if attempt < 1:
            raise ValueError(f"attempt counts from 1, got {attempt}")
        source = self.password
        if isinstance(source, (str, bytes)):
            return source
        result = source(url, realm, attempt)
        if result is not None and not isinstance(result, (str, bytes)):
            raise TypeError(
                f"the password callable returned {type(result).__name__}; "
                "expected str, bytes or None"
            )
        return result

    def __repr__(self) -> str:
        return (
            f"Credential(username={self.username!r}, password=<hidden>, "
            f"realm={self.realm!r}, encoding={self.encoding!r})"
        )

    __str__ = __repr__

    def __deepcopy__(self, memo: Dict[int, Any]) -> Credential:
        """Immutable: a deep copy is the credential itself (a callable password is shared)."""
        return self

    def __reduce__(self) -> Tuple[Any, ...]:
        """Pickled by value. A callable password travels when it pickles (a module-level
        function); otherwise :class:`TypeError` says so (never showing a password)."""
        if callable(self.password):
            try:
                pickle.dumps(self.password)
            except Exception as exc:
                raise TypeError(
                    f"the credential of {self.username!r} has a password callable that cannot "
                    f"be pickled ({type(exc).__name__}): use a module-level function or a "
                    "picklable object, or store the password itself"
                ) from exc
        return (Credential, (self.username, self.password, self.realm, self.encoding))


@dataclass(frozen=True, order=True)
class Strength:
    """How strong an answer to a challenge is, for the no-downgrade rule (RFC 7235 section 4.1).

    Ordered by ``scheme`` (the class's ``strength``: Basic 10, NTLM 15, Digest 20, Negotiate
    30), then ``grade`` inside the scheme (Digest: MD5 100, SHA-256 200, SHA-512-256 300, each
    ``-sess`` variant equal to its base, no ``qop`` below). ``label`` names it for people
    (``"Digest SHA-256"``) and takes no part in comparisons.
    """

    scheme: int
    grade: int = 0
    label: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.label or f"strength {self.scheme}.{self.grade}"
