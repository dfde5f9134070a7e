"""squid 5 as a forward proxy demanding Negotiate/Kerberos (`negotiate_kerberos_auth`).

RFC 4559 for a proxy (`407`, `Proxy-Authenticate: Negotiate`), against the bed's KDC
(servers/kdc.py). The config is servers/squid.py's with only `auth_param negotiate`; the
helper accepts tokens for `HTTP/localhost` from a keytab in the proxy's directory. The
proxy URL says `localhost`, the SPN's host. squid and its helper get `KRB5_CONFIG`,
`KRB5_KTNAME` and `KRB5RCACHEDIR` in their environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterable

from .common import HOST, Process, chown_tree, free_port, require_binary, service_user_ids
from .kdc import KerberosKDC
from .squid import CONF_TEMPLATE, HELPERS, LOG_FORMAT, SquidServer

HELPER = "negotiate_kerberos_auth"

NEGOTIATE_PARAMS = """\
auth_param negotiate program {helpers}/{helper} -s {spn} -k {keytab} -c {dir}/rcache
auth_param negotiate children 3 startup=1 idle=1
auth_param negotiate keep_alive on
"""


class KerberosSquidServer(SquidServer):
    """squid demanding Negotiate (Kerberos); `proxy_url` says `localhost`."""

    name = "squid-kerberos"

    def __init__(
        self, directory: Path, port: int, allowed_ports: list[int], kdc: KerberosKDC
    ) -> None:
        super().__init__(directory, port, "negotiate", "", allowed_ports)
        self.host = kdc.service_host
        self.kdc = kdc

    def realm(self, share: str = "") -> str:
        raise TypeError("Negotiate has no realm")


def start(directory: Path, kdc: KerberosKDC, allowed_ports: Iterable[int]) -> KerberosSquidServer:
    squid = require_binary("squid", "squid")
    require_binary(str(HELPERS / HELPER), f"squid helper {HELPER}")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "rcache").mkdir(exist_ok=True)
    keytab = kdc.add_keytab(kdc.service_principal, directory / "proxy.keytab")
    krb5_conf = directory / "krb5.conf"
    shutil.copyfile(kdc.krb5_conf, krb5_conf)
    os.chmod(krb5_conf, 0o644)

    ports = sorted(set(allowed_ports))
    port = free_port()
    ids = service_user_ids("proxy")
    conf = directory / "squid.conf"
    auth_params = NEGOTIATE_PARAMS.format(
        helpers=HELPERS, helper=HELPER, spn=kdc.service_principal, keytab=keytab, dir=directory
    )
    # the tunnels go to `localhost` (the SPN's host): squid resolves it from its own file
    (directory / "hosts").write_text(f"{HOST} localhost\n", encoding="utf-8")
    template = CONF_TEMPLATE.replace("hosts_file none", f"hosts_file {directory}/hosts")
    conf.write_text(
        template.format(
            host=HOST,
            port=port,
            dir=directory,
            log_format=LOG_FORMAT,
            effective_user="cache_effective_user proxy\ncache_effective_group proxy"
            if ids is not None
            else "",
            auth_params=auth_params,
            ports=" ".join(str(p) for p in ports),
        ),
        encoding="utf-8",
    )
    chown_tree(directory, ids)

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C",
        "KRB5_CONFIG": str(krb5_conf),
        "KRB5_KTNAME": f"FILE:{keytab}",
        "KRB5RCACHEDIR": str(directory / "rcache"),
    }
    check = subprocess.run(
        [squid, "-k", "parse", "-f", str(conf)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if check.returncode != 0:
        raise RuntimeError(f"squid -k parse rejected {conf}:\n{check.stdout}{check.stderr}")

    server = KerberosSquidServer(directory, port, ports, kdc)
    process = Process(
        "squid-kerberos",
        [squid, "-N", "-f", str(conf)],
        directory,
        logs=[server.cache_log],
        env=env,
    )
    server.processes.append(process)
    process.wait_for_port(port, extra=lambda: "squid -k parse:\n" + check.stderr[-4000:])
    return server
