"""Moving a body from a plain TCP socket into a file inside the kernel (Linux ``splice(2)``).

A download's bytes go socket -> pipe -> file without entering the process: no copy into a
Python buffer and out of it again, so the kernel's time per byte is about a third of a
``recv_into`` and ``write`` loop (``benchmarks/bench_tree.py``, 10 x 100 MiB down). This
module knows nothing of HTTP: :mod:`.transfers` decides which bytes of a body may be spliced
(RFC 9112 section 6.2: an unencoded body with a Content-Length) and keeps ``http.client``'s
count of them. Where ``splice`` is missing (not Linux, Python before 3.10) or refused (a file
system without splice writes, a sandbox), :func:`splicer` gives None or the splicer stops
being :attr:`~Splicer.usable` with every byte it took delivered, and the caller reads on as
before.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import sys
from typing import Callable, Optional

#: bytes a splice moves at most: the pipe's capacity. 256 KiB measured best on the test
#: machine (64 and 128 KiB: more calls; 512 KiB and 1 MiB: more kernel time per byte, the
#: same effect as 1 MiB user-space buffers)
PIPE_SIZE = 256 << 10
#: ``fcntl`` command setting a pipe's capacity (linux/fcntl.h; ``fcntl.F_SETPIPE_SZ`` in 3.10+)
_F_SETPIPE_SZ = 1031
#: ``os.splice(src, dst, count)``, Python 3.10 and later on Linux
_SPLICE: Optional[Callable[[int, int, int], int]] = getattr(os, "splice", None)
#: errors that mean "splice cannot do this here", not "the transfer failed"
_UNSUPPORTED = frozenset({errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM, errno.EBADF})


class Splicer:
    """A pipe between one socket and one file: :meth:`take` fills it from the socket,
    :meth:`put` empties it into the file.

    The socket's timeout (``gettimeout``) bounds every wait for data, as a ``recv`` on it
    would be bounded, and a wait that runs out raises :class:`socket.timeout`. Socket errors
    (a reset connection) from :meth:`take` and file errors (a full disk) from :meth:`put`
    raise :class:`OSError` as a read or a write would. :meth:`close` closes the pipe, never
    the socket or the file.
    """

    def __init__(self, sock: socket.socket, file_descriptor: int) -> None:
        self._source = sock.fileno()
        self._timeout = sock.gettimeout()
        self._target = file_descriptor
        self._read_end, self._write_end = os.pipe()
        with contextlib.suppress(OSError):  # a user over its pipe quota keeps 64 KiB pipes
            import fcntl

            fcntl.fcntl(self._write_end, _F_SETPIPE_SZ, PIPE_SIZE)
        self._poller = select.poll()
        self._poller.register(self._source, select.POLLIN)
        #: False once splicing was refused: the caller must read the rest itself
        self.usable = True

    def take(self, count: int) -> int:
        """Move up to ``count`` bytes from the socket into the pipe (at most
        :data:`PIPE_SIZE`); :meth:`put` must then deliver them before the next take.

        Returns how many bytes were taken, 0 at the end of the stream (the peer closed the
        connection), or 0 with :attr:`usable` False when splicing was refused before a byte
        was taken.
        """
        while True:
            try:
                return _splice(self._source, self._write_end, min(count, PIPE_SIZE))
            except BlockingIOError:  # the socket has a timeout: its descriptor does not block
                timeout = None if self._timeout is None else self._timeout * 1000
                if not self._poller.poll(timeout):
                    raise socket.timeout("timed out") from None
            except OSError as exc:
                if exc.errno not in _UNSUPPORTED:
                    raise
                self.usable = False
                return 0

    def put(self, count: int) -> None:
        """The ``count`` bytes :meth:`take` took into the file, at the file's offset. Bytes the
        file refuses to be spliced into it are written with ``os.write`` (and splicing
        stops), so every byte taken is in the file when this returns."""
        while count:
            try:
                count -= _splice(self._read_end, self._target, count)
            except OSError as exc:
                if exc.errno not in _UNSUPPORTED:
                    raise
                self.usable = False
                self._drain(count)
                return

    def _drain(self, count: int) -> None:
        """The ``count`` bytes left in the pipe into the file with read and write."""
        while count:
            data = os.read(self._read_end, count)
            count -= len(data)
            view = memoryview(data)
            while view:
                view = view[os.write(self._target, view) :]

    def close(self) -> None:
        os.close(self._read_end)
        os.close(self._write_end)


def _splice(source: int, target: int, count: int) -> int:
    if _SPLICE is None:  # pragma: no cover - splicer() gives no Splicer then
        raise OSError(errno.ENOSYS, "splice is not available")
    return _SPLICE(source, target, count)


def splicer(sock: object, file_descriptor: int) -> Optional[Splicer]:
    """A :class:`Splicer` from ``sock`` (a plain ``socket.socket``: a TLS socket's bytes must
    be decrypted in the process) into ``file_descriptor`` (not opened to append: Linux refuses
    to splice into those), or None where that cannot be."""
    if (
        _SPLICE is None
        or not sys.platform.startswith("linux")
        or type(sock) is not socket.socket
        or sock.family not in (socket.AF_INET, socket.AF_INET6)
        or sock.type != socket.SOCK_STREAM
    ):
        return None
    try:
        import fcntl

        if fcntl.fcntl(file_descriptor, fcntl.F_GETFL) & os.O_APPEND:
            return None
        return Splicer(sock, file_descriptor)
    except (OSError, ImportError):
        return None


__all__ = ["PIPE_SIZE", "Splicer", "splicer"]
