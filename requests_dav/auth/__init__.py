"""The sans-I/O authentication core (RFC 7235, 7616, 7617, 7615, 8187).

Nothing in this package imports requests or urllib3: it parses challenges,
keeps credentials by protection space, computes authorization headers and
decides when and how a request is sent again. :mod:`requests_dav.transport.adapter`
and :mod:`requests_dav.transport.auth_base` drive it.
"""
