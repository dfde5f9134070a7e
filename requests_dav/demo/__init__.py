"""The embedded demo: a WebDAV server with Digest authentication and a guided walk-through.

Needs the ``demo`` extra (WsgiDAV and cheroot): ``pip install "requests-dav[demo]"``.
"""
