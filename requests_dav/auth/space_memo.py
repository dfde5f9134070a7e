"""What a success of an authenticator at one URL records in the store, remembered.

:meth:`~requests_dav.auth.credentials.Credentials.record_success` works out the protection
space (RFC 7235 section 2.2) a success teaches and where the no-downgrade floor rises; for
schemes whose answer depends only on the URL and the current challenge (Basic, Digest) the
result is kept, with what it was worked out from, and used again while all of that holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Tuple

from .types import Credential, Strength

__all__ = ["SPACES_KEPT", "Space"]

#: how many (URL, authenticator) spaces :meth:`Credentials.record_success` remembers
SPACES_KEPT = 256


@dataclass(frozen=True, eq=False)
class Space:
    """What a success of ``authenticator`` at one URL records, and what it was worked out from.

    Compared by identity: one is the very record a success worked out."""

    authenticator: Any
    challenge: Any
    credential: Credential
    generation: int
    prefixes: Tuple[str, ...]  # learned (RFC 7235 section 2.2), inside the grant
    floor_prefixes: Tuple[str, ...]  # where the no-downgrade floor is raised
    strength: Strength

    def holds(self, authenticator: Any, generation: int) -> bool:
        """Still what ``authenticator`` would give: same object, challenge, credential, grants."""
        return (
            self.authenticator is authenticator
            and self.challenge is authenticator.challenge
            and self.credential is authenticator.credential
            and self.generation == generation
        )
