"""WebDAV (RFC 4918): the multistatus model, properties, hrefs and safe XML parsing."""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .capabilities import Capabilities
    from .errors import (
        ConflictError,
        CrossOriginHrefError,
        CrossOriginHrefWarning,
        DAVError,
        FailedDependencyError,
        ForbiddenError,
        InsufficientStorageError,
        InvalidSyncTokenError,
        LockedError,
        MalformedResponseError,
        MethodNotAllowedError,
        MultiStatusError,
        NotFoundError,
        PreconditionFailedError,
        PropPatchError,
        ResponseTooLargeError,
    )
    from .locks import Lock, LockStore
    from .requestbodies import E, Element, Href
    from .results import PropfindStream, PropPatchResult, SyncResult, WriteResult
    from .session import DAVSession

_EXPORTS = {
    "Capabilities": ".capabilities",
    "ConflictError": ".errors",
    "CrossOriginHrefError": ".errors",
    "CrossOriginHrefWarning": ".errors",
    "DAVError": ".errors",
    "DAVSession": ".session",
    "E": ".requestbodies",
    "Element": ".requestbodies",
    "FailedDependencyError": ".errors",
    "ForbiddenError": ".errors",
    "Href": ".requestbodies",
    "InsufficientStorageError": ".errors",
    "InvalidSyncTokenError": ".errors",
    "Lock": ".locks",
    "LockStore": ".locks",
    "LockedError": ".errors",
    "MalformedResponseError": ".errors",
    "MethodNotAllowedError": ".errors",
    "MultiStatusError": ".errors",
    "NotFoundError": ".errors",
    "PreconditionFailedError": ".errors",
    "PropPatchError": ".errors",
    "PropPatchResult": ".results",
    "PropfindStream": ".results",
    "ResponseTooLargeError": ".errors",
    "SyncResult": ".results",
    "WriteResult": ".results",
}

__all__ = [
    "Capabilities",
    "ConflictError",
    "CrossOriginHrefError",
    "CrossOriginHrefWarning",
    "DAVError",
    "DAVSession",
    "E",
    "Element",
    "FailedDependencyError",
    "ForbiddenError",
    "Href",
    "InsufficientStorageError",
    "InvalidSyncTokenError",
    "Lock",
    "LockStore",
    "LockedError",
    "MalformedResponseError",
    "MethodNotAllowedError",
    "MultiStatusError",
    "NotFoundError",
    "PreconditionFailedError",
    "PropPatchError",
    "PropPatchResult",
    "PropfindStream",
    "ResponseTooLargeError",
    "SyncResult",
    "WriteResult",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
