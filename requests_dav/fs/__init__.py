"""An fsspec filesystem on :class:`~requests_dav.DAVSession`: WebDAV (RFC 4918) for pandas,
pyarrow, dask and everything else that opens files through fsspec.

Install ``requests-dav[fsspec]``; the protocols ``dav`` (http) and ``davs`` (https) are
registered through the ``fsspec.specs`` entry point, so ``fsspec.open("dav://host:port/a.csv")``
and ``pandas.read_csv("davs://...", storage_options={"auth": (user, password)})`` work.
Paths are ``host[:port]/path`` (the host plays the part of a bucket); see
:class:`DAVFileSystem` for the options and ``docs/fs.rst`` for the whole interface.
"""

from ._core import RangeNotSupportedWarning
from ._files import DAVReadFile, DAVWriteFile
from ._filesystem import DAVFileSystem, DAVSFileSystem

__all__ = [
    "DAVFileSystem",
    "DAVReadFile",
    "DAVSFileSystem",
    "DAVWriteFile",
    "RangeNotSupportedWarning",
]
