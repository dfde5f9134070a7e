"""WebDAV (RFC 4918): the multistatus model, properties, hrefs and safe XML parsing."""

from .capabilities import Capabilities
from .errors import (
    ConflictError,
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
)
from .locks import Lock, LockStore
from .requestbodies import E, Element, Href
from .session import DAVSession, PropfindStream, PropPatchResult, SyncResult, WriteResult

__all__ = [
    "Capabilities",
    "ConflictError",
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
    "SyncResult",
    "WriteResult",
]
