"""Session fixtures for the real-server test bed (see tests/servers/README.md).

Every server starts lazily, once per session, the first time a test asks for its fixture;
all of them stop at the end of the session. Tests marked needs_apache / needs_squid /
needs_nginx / needs_rclone are skipped when the binary is missing, or fail when CI=true.
"""

from __future__ import annotations

from typing import Iterator

import pytest
from servers.apache import ApacheServer
from servers.apache_gssapi import GssapiApacheServer
from servers.common import ServerBase, Testbed, require_binary, require_module
from servers.kdc import KerberosKDC
from servers.lighttpd import LighttpdServer
from servers.nginx import NginxServer
from servers.radicale_server import RadicaleServer
from servers.rclone import RcloneServer
from servers.sabredav import SabreDAVServer
from servers.squid import SquidServer
from servers.wsgidav_server import WsgiDAVServer
from servers.xandikos_server import XandikosServer

#: marker -> binaries it needs (require_binary arguments)
MARKER_BINARIES: dict[str, list[tuple[str, str]]] = {
    "needs_apache": [("apache2", "Apache httpd (Debian apache2)")],
    "needs_squid": [("squid", "squid")],
    "needs_nginx": [("nginx", "nginx (Debian nginx-extras or nginx)")],
    "needs_rclone": [("rclone", "rclone")],
    "needs_lighttpd": [("lighttpd", "lighttpd (Debian lighttpd, lighttpd-mod-webdav)")],
    "needs_php": [("php", "PHP CLI (Debian php-cli)")],
}

#: marker -> Python modules it needs (require_module arguments)
MARKER_MODULES: dict[str, list[tuple[str, str]]] = {
    "needs_radicale": [("radicale", "Radicale (PyPI radicale)")],
    "needs_xandikos": [("xandikos", "Xandikos (PyPI xandikos)")],
}

#: fixture -> markers a test using it gets automatically (so `-m needs_squid` selects it)
FIXTURE_MARKERS: dict[str, tuple[str, ...]] = {
    "apache_server": ("needs_apache",),
    "squid_basic": ("needs_squid", "needs_apache"),
    "squid_digest": ("needs_squid", "needs_apache"),
    "nginx_server": ("needs_nginx",),
    "rclone_server": ("needs_rclone",),
    "lighttpd_server": ("needs_lighttpd",),
    "sabredav_server": ("needs_php",),
    "radicale_server": ("needs_radicale",),
    "xandikos_server": ("needs_xandikos",),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        present = {mark.name for mark in item.iter_markers()}
        for fixture, markers in FIXTURE_MARKERS.items():
            if fixture in fixtures:
                for marker in markers:
                    if marker not in present:
                        item.add_marker(marker)
                        present.add(marker)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or, with CI=true, fail) tests whose needs_* binaries are missing."""
    for marker in item.iter_markers():
        for binary, what in MARKER_BINARIES.get(marker.name, ()):
            require_binary(binary, what)
        for module, what in MARKER_MODULES.get(marker.name, ()):
            require_module(module, what)


@pytest.fixture(scope="session")
def testbed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Testbed]:
    """Registry of the session's servers, set up before and torn down after all of them.

    Server fixtures only send SIGTERM in their teardown; this one then waits for all of
    them together (squid alone needs about 2 s to stop) and tidies their directories.
    """
    bed = Testbed(tmp_path_factory)
    yield bed
    bed.close()


@pytest.fixture(scope="session")
def wsgidav_server(testbed: Testbed) -> Iterator[WsgiDAVServer]:
    """WsgiDAV in-process: shares open, basic (Basic only), digest (Digest only)."""
    from servers import wsgidav_server as module

    server = module.start(testbed.server_dir("wsgidav"))
    testbed.add(server)
    yield server
    server.terminate()


@pytest.fixture(scope="session")
def apache_server(testbed: Testbed) -> Iterator[ApacheServer]:
    """Apache httpd + mod_dav_fs on HTTP and HTTPS (see servers/apache.py for the shares)."""
    from servers import apache as module

    server = module.start(testbed.server_dir("apache", "www-data"))
    testbed.add(server)
    yield server
    server.terminate()


def _squid(scheme: str, testbed: Testbed, targets: list[ServerBase]) -> SquidServer:
    from servers import squid as module

    ports: list[int] = []
    for target in targets:
        ports.append(target.port)
        https_port = getattr(target, "https_port", None)
        if https_port is not None:
            ports.append(https_port)
    server = module.start(testbed.server_dir(f"squid-{scheme}", "proxy"), scheme, ports)
    testbed.add(server)
    return server


@pytest.fixture(scope="session")
def squid_basic(
    testbed: Testbed, apache_server: ApacheServer, wsgidav_server: WsgiDAVServer
) -> Iterator[SquidServer]:
    """squid demanding Basic proxy auth; forwards only to the Apache and WsgiDAV ports."""
    require_binary("squid", "squid")
    server = _squid("basic", testbed, [apache_server, wsgidav_server])
    yield server
    server.terminate()


@pytest.fixture(scope="session")
def squid_digest(
    testbed: Testbed, apache_server: ApacheServer, wsgidav_server: WsgiDAVServer
) -> Iterator[SquidServer]:
    """squid accepting only Digest proxy auth; forwards only to the Apache and WsgiDAV ports."""
    require_binary("squid", "squid")
    server = _squid("digest", testbed, [apache_server, wsgidav_server])
    yield server
    server.terminate()


@pytest.fixture(scope="session")
def nginx_server(testbed: Testbed) -> Iterator[NginxServer]:
    """nginx + dav_ext: shares open and basic."""
    from servers import nginx as module

    server = module.start(testbed.server_dir("nginx", "www-data"))
    testbed.add(server)
    yield server
    server.terminate()


@pytest.fixture(scope="session")
def rclone_server(testbed: Testbed) -> Iterator[RcloneServer]:
    """rclone serve webdav: shares open and basic, one process (and port) each."""
    from servers import rclone as module

    server = module.start(testbed.server_dir("rclone"))
    testbed.add(server)
    yield server
    server.terminate()


@pytest.fixture(scope="session")
def lighttpd_server(testbed: Testbed) -> Iterator[LighttpdServer]:
    """lighttpd + mod_webdav: open, basic, digest (MD5), sha256, both, userhash shares."""
    from servers import lighttpd as module

    server = module.start(testbed.server_dir("lighttpd"))
    testbed.add(server)
    yield server
    server.terminate()


@pytest.fixture(scope="session")
def sabredav_server(testbed: Testbed) -> Iterator[SabreDAVServer]:
    """SabreDAV 1.8 under php -S: shares open and digest, Locks plugin (File backend)."""
    from servers import sabredav as module

    server = module.start(testbed.server_dir("sabredav"))
    testbed.add(server)
    yield server
    server.terminate()


@pytest.fixture(scope="session")
def radicale_server(testbed: Testbed) -> Iterator[RadicaleServer]:
    """Radicale: CalDAV/CardDAV, Basic (htpasswd plain); shares alice and bob (principals)."""
    from servers import radicale_server as module

    server = module.start(testbed.server_dir("radicale"))
    testbed.add(server)
    yield server
    server.terminate()


@pytest.fixture(scope="session")
def xandikos_server(testbed: Testbed) -> Iterator[XandikosServer]:
    """Xandikos: CalDAV/CardDAV without auth; share user (the principal /user/)."""
    from servers import xandikos_server as module

    server = module.start(testbed.server_dir("xandikos"))
    testbed.add(server)
    yield server
    server.terminate()


# -- Kerberos (servers/kdc.py, servers/apache_gssapi.py) -----------------------------------
MARKER_BINARIES["needs_kerberos"] = [
    ("krb5kdc", "MIT Kerberos KDC (Debian krb5-kdc)"),
    ("kdb5_util", "MIT Kerberos kdb5_util (Debian krb5-kdc)"),
    ("kadmin.local", "MIT Kerberos kadmin.local (Debian krb5-admin-server)"),
    ("kinit", "MIT Kerberos kinit (Debian krb5-user)"),
    ("apache2", "Apache httpd (Debian apache2)"),
    (
        "/usr/lib/apache2/modules/mod_auth_gssapi.so",
        "Apache module mod_auth_gssapi (Debian libapache2-mod-auth-gssapi)",
    ),
]
FIXTURE_MARKERS["kdc"] = ("needs_kerberos",)
FIXTURE_MARKERS["apache_gssapi"] = ("needs_kerberos", "needs_apache")
FIXTURE_MARKERS["squid_kerberos"] = ("needs_kerberos", "needs_apache", "needs_squid")


@pytest.fixture(scope="session", autouse=True)
def _kerberos_isolated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep every test's Kerberos away from /etc/krb5.conf and the user's tickets.

    With python-gssapi installed, pyspnego tries Kerberos inside every Negotiate handshake:
    without this it would ask the system's default realm's KDC (a DNS name, off loopback)
    or use the user's own credential cache. Kerberos tests switch to the bed's realm with
    the `kerberos` fixture (servers/kdc.py).
    """
    from servers.kdc import isolated_environment

    with pytest.MonkeyPatch.context() as patch:
        for name, value in isolated_environment(tmp_path_factory.mktemp("krb5-none")).items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def kdc(testbed: Testbed) -> Iterator[KerberosKDC]:
    """An MIT KDC for REQUESTS-DAV.TEST with alice, bob and HTTP/localhost; alice kinit'ed."""
    from servers import kdc as module

    server = module.start(testbed.server_dir("kdc"))
    testbed.add(server)  # type: ignore[arg-type]
    yield server
    server.terminate()


@pytest.fixture(scope="session")
def apache_gssapi(testbed: Testbed, kdc: KerberosKDC) -> Iterator[GssapiApacheServer]:
    """Apache + mod_auth_gssapi (Kerberos only) on HTTP and HTTPS, host `localhost`."""
    from servers import apache_gssapi as module

    server = module.start(testbed.server_dir("apache-gssapi", "www-data"), kdc)
    testbed.add(server)
    yield server
    server.terminate()


@pytest.fixture
def kerberos(kdc: KerberosKDC, monkeypatch: pytest.MonkeyPatch) -> KerberosKDC:
    """The bed's realm for this test: KRB5_CONFIG and alice's KRB5CCNAME set, then restored."""
    for name, value in kdc.client_environment().items():
        monkeypatch.setenv(name, value)
    return kdc


@pytest.fixture(scope="session")
def squid_kerberos(
    testbed: Testbed,
    kdc: KerberosKDC,
    apache_gssapi: GssapiApacheServer,
    wsgidav_server: WsgiDAVServer,
) -> Iterator[SquidServer]:
    """squid demanding Negotiate/Kerberos; forwards to apache_gssapi and WsgiDAV only."""
    require_binary("squid", "squid")
    from servers import squid_kerberos as module

    ports = [apache_gssapi.port, apache_gssapi.https_port or 0, wsgidav_server.port]
    server = module.start(testbed.server_dir("squid-kerberos", "proxy"), kdc, ports)
    testbed.add(server)
    yield server
    server.terminate()
