"""The requests/urllib3 driver of the sans-I/O core (:mod:`requests_dav.auth`).

Everything here speaks to requests or urllib3 and nothing here decides protocol: the core
parses challenges, keeps credentials by protection space and runs the flow; these modules
carry its requests over the wire and its responses back.

- :mod:`~requests_dav.transport.adapter`: :class:`AuthAdapter`, the ``session.mount`` driver.
- :mod:`~requests_dav.transport.auth_base`: the ``auth=`` classes (``HTTPAuth``, ``BasicAuth``,
  ``DigestAuth``), the hook driver.
- :mod:`~requests_dav.transport.expect`: ``Expect: 100-continue`` (RFC 9110 section 10.1.1).
- :mod:`~requests_dav.transport.pinning`: connections pinned to an NTLM/Negotiate handshake.
- :mod:`~requests_dav.transport.proxy`: proxy authentication and the CONNECT of HTTPS tunnels.
- :mod:`~requests_dav.transport.wire` and :mod:`~requests_dav.transport.results`: bodies on
  the wire, and the results and errors both drivers hand back.

Public names are importable from :mod:`requests_dav` itself.
"""
