"""requests-dav: HTTP authentication and WebDAV for requests.

Body-buffered replay of 401/407 challenges, protection-space credential
lookup (RFC 7235, RFC 2617 section 1.2), proxy authentication including the
CONNECT of an HTTPS tunnel, and a WebDAV session (RFC 4918).
"""

__version__ = "0.1.0.dev0"
