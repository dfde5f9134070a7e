"""The primed short path (issue 16) gives what the whole negotiation gives.

A request into a learned space goes out through ``send_primed`` (no flow generator); a 401 to
it hands the request and that response to ``Negotiator.resume``. Each scripted server below is
run twice, once with the short path and once with it switched off (the full flow), and
everything the caller or the wire can see must be the same: the requests sent (scheme, nonce,
count, body), the final status, the outcome, the history, the exception, and what the next
request sends (the store's state).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any, Dict, List, Optional, Tuple
from unittest import mock

import pytest
import requests
import responses

from requests_dav.auth.credentials import Credentials
from requests_dav.auth.flow import Negotiator
from requests_dav.auth.schemes.digest import DigestScheme
from requests_dav.transport import adapter as adapter_module
from requests_dav.transport import auth_base
from requests_dav.transport.adapter import AuthAdapter, auth_result
from requests_dav.transport.auth_base import HTTPAuth

URL = "http://primed.test/dir/file.txt"
USER, PASSWORD, REALM = "alice", "s3cret", "primed realm"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _params(header: str) -> Dict[str, str]:
    return {k: a or b for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', header)}


class Server:
    """A Basic or Digest MD5 qop=auth server; ``plan`` says how it answers each request once
    the space is primed (after the first two exchanges)."""

    def __init__(self, scheme: str, plan: List[str]) -> None:
        self.scheme = scheme
        self.plan = plan
        self.nonce = "n0"
        self.nonces = 0
        self.password = PASSWORD
        self.primed = False
        self.wire: List[Tuple[str, Optional[str], Optional[str], bytes, Optional[str]]] = []

    def challenge(self, stale: bool = False) -> Dict[str, str]:
        if self.scheme == "basic":
            return {"WWW-Authenticate": f'Basic realm="{REALM}"'}
        self.nonces += 1
        self.nonce = f"n{self.nonces}"
        extra = ", stale=true" if stale else ""
        return {
            "WWW-Authenticate": f'Digest realm="{REALM}", nonce="{self.nonce}", qop="auth", '
            f"algorithm=MD5{extra}"
        }

    def __call__(self, request: Any) -> Tuple[int, Dict[str, str], bytes]:
        header = request.headers.get("Authorization")
        body = request.body if isinstance(request.body, bytes) else (request.body or b"")
        params = _params(header) if header and header.startswith("Digest ") else {}
        self.wire.append(
            (
                request.method,
                header.split()[0] if header else None,
                params.get("nonce"),
                body,
                params.get("nc"),
            )
        )
        step = self.plan.pop(0) if self.primed and self.plan else "verify"
        if step == "change-password":
            self.password = "changed"
            step = "verify"
        if step == "stale":
            return 401, self.challenge(stale=True), b"stale"
        if header is None or (self.scheme == "digest" and not params):
            return 401, self.challenge(), b"who are you"
        if self.scheme == "basic":
            token = base64.b64encode(f"{USER}:{self.password}".encode()).decode()
            if header != f"Basic {token}":
                return 401, self.challenge(), b"refused"
            return 200, {}, b"ok"
        ha1 = _md5(f"{USER}:{REALM}:{self.password}")
        ha2 = _md5(f"{request.method}:{params['uri']}")
        tail = f"{params['nonce']}:{params['nc']}:{params['cnonce']}:auth"
        if params.get("nonce") != self.nonce or params["response"] != _md5(f"{ha1}:{tail}:{ha2}"):
            return 401, self.challenge(), b"refused"
        rspauth = _md5(f"{ha1}:{tail}:{_md5(':' + params['uri'])}")
        if step == "tamper":
            rspauth = "0" * 32
        info = f'rspauth="{rspauth}", cnonce="{params["cnonce"]}", nc={params["nc"]}, qop=auth'
        if step == "nextnonce":
            self.nonces += 1
            self.nonce = f"n{self.nonces}"
            info += f', nextnonce="{self.nonce}"'
        return 200, {"Authentication-Info": info}, b"ok"


def run(
    scheme: str,
    plan: List[str],
    *,
    short: bool,
    body: Optional[bytes] = None,
    driver: str = "adapter",
) -> Any:
    """What the caller and the wire see when a primed request meets ``plan``, sent through
    ``AuthAdapter`` (``driver="adapter"``) or requests-dav's ``auth=`` class (``"auth"``)."""
    server = Server(scheme, plan)
    credentials = Credentials()
    credentials.add("http://primed.test/", USER, PASSWORD)
    session = requests.Session()
    session.trust_env = False
    if driver == "adapter":
        session.mount("http://", AuthAdapter(credentials))
        switch: Any = (adapter_module, "send_primed")
    else:
        session.auth = HTTPAuth(credentials=credentials)
        switch = (auth_base, "prime")
    seen: Dict[str, Any] = {}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.add_callback("GET", URL, callback=server)
        mocked.add_callback("PUT", URL, callback=server)
        session.get(URL).raise_for_status()  # the 401, then the space is learned
        server.primed = True
        server.wire.clear()
        off = None if short else (lambda *args, **kwargs: None)
        with mock.patch.object(*switch, off or getattr(*switch)):
            try:
                response = session.request("PUT" if body else "GET", URL, data=body)
            except requests.RequestException as exc:
                seen["error"] = (type(exc).__name__, str(exc), exc.response.status_code)
            else:
                result = auth_result(response)
                seen["status"] = response.status_code
                seen["outcome"] = (result.outcome, result.detail, result.rounds, result.scheme)
                seen["history"] = [
                    (r.status_code, r.request.headers.get("Authorization", "")[:6])
                    for r in response.history
                ]
                seen["sent"] = (response.request.headers.get("Authorization") or "")[:6]
            seen["wire"] = list(server.wire)
            server.wire.clear()
            server.plan = []
            session.get(URL)  # what the store sends next
            seen["next"] = list(server.wire)
    return seen


PLANS = [
    ("basic", ["verify"]),
    ("basic", ["change-password"]),
    ("digest", ["verify"]),
    ("digest", ["nextnonce"]),
    ("digest", ["stale"]),
    ("digest", ["stale", "stale", "stale"]),
    ("digest", ["change-password"]),
    ("digest", ["tamper"]),
]


@pytest.mark.parametrize(("scheme", "plan"), PLANS)
@pytest.mark.parametrize("body", [None, b"the same bytes"])
@pytest.mark.parametrize("driver", ["adapter", "auth"])
def test_the_short_path_gives_what_the_flow_gives(
    scheme: str, plan: List[str], body: Optional[bytes], driver: str
) -> None:
    short = run(scheme, list(plan), short=True, body=body, driver=driver)
    full = run(scheme, list(plan), short=False, body=body, driver=driver)
    assert short == full
    if "error" not in short:
        assert short["wire"], "nothing reached the server"


@pytest.mark.parametrize("driver", ["adapter", "auth"])
def test_a_stale_nonce_is_answered_with_one_more_request_and_the_same_body(driver: str) -> None:
    seen = run("digest", ["stale"], short=True, body=b"payload", driver=driver)
    assert [step[2] for step in seen["wire"]] == ["n1", "n2"]
    assert [step[3] for step in seen["wire"]] == [b"payload", b"payload"]
    assert seen["status"] == 200
    assert seen["outcome"][0] == "ok"
    assert seen["history"] == [(401, "Digest")]
    assert seen["next"][0][2] == "n2"


@pytest.mark.parametrize("driver", ["adapter", "auth"])
def test_nextnonce_and_a_forged_rspauth_are_read_on_the_short_path(driver: str) -> None:
    assert run("digest", ["nextnonce"], short=True, driver=driver)["next"][0][2] == "n2"
    error = run("digest", ["tamper"], short=True, driver=driver)["error"]
    assert error[0] == "MutualAuthenticationError"
    assert "rspauth does not match" in error[1]
    assert PASSWORD not in error[1]


def test_refused_credentials_end_with_the_401_and_no_retry() -> None:
    seen = run("basic", ["change-password"], short=True)
    assert len(seen["wire"]) == 1
    assert seen["status"] == 401
    assert seen["outcome"][0] == "refused"


def _spied_session() -> Tuple[requests.Session, Server]:
    server = Server("digest", [])
    credentials = Credentials()
    credentials.add("http://primed.test/", USER, PASSWORD)
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", AuthAdapter(credentials))
    return session, server


@responses.activate
def test_a_primed_success_runs_no_flow_and_a_401_resumes_it() -> None:
    session, server = _spied_session()
    responses.add_callback("GET", URL, callback=server)
    session.get(URL).raise_for_status()
    server.primed = True
    flow = Negotiator.auth_flow
    with (
        mock.patch.object(Negotiator, "auth_flow", autospec=True, side_effect=flow) as flows,
        mock.patch.object(
            Negotiator, "resume", autospec=True, side_effect=Negotiator.resume
        ) as resumed,
    ):
        session.get(URL).raise_for_status()
        assert flows.call_count == 0 and resumed.call_count == 0
        server.plan = ["stale"]
        session.get(URL).raise_for_status()
        assert flows.call_count == 0 and resumed.call_count == 1


@responses.activate
def test_a_request_without_a_response_gives_its_nonce_back() -> None:
    session, server = _spied_session()
    responses.add_callback("GET", URL, callback=server)
    session.get(URL).raise_for_status()
    responses.replace(responses.GET, URL, body=requests.ConnectionError("reset"))
    with mock.patch.object(DigestScheme, "release", autospec=True) as released:
        with pytest.raises(requests.ConnectionError):
            session.get(URL)
        assert released.call_count == 1


@pytest.mark.parametrize("case", ["proxy", "callers-header", "generator", "expect"])
@responses.activate
def test_what_the_short_path_leaves_to_the_flow(case: str) -> None:
    session, server = _spied_session()
    responses.add_callback("GET", URL, callback=server)
    responses.add_callback("PUT", URL, callback=server)
    session.get(URL).raise_for_status()
    kwargs: Dict[str, Any] = {}
    method = "GET"
    if case == "proxy":
        kwargs["proxies"] = {"http": "http://127.0.0.1:9"}
    elif case == "callers-header":
        kwargs["headers"] = {"Authorization": "Bearer mine"}
    elif case == "generator":
        method, kwargs["data"] = "PUT", iter([b"a", b"b"])
    else:
        method, kwargs["data"], kwargs["headers"] = "PUT", b"x", {"Expect": "100-continue"}
    with mock.patch.object(
        adapter_module, "send_primed", side_effect=adapter_module.send_primed
    ) as short:
        session.request(method, URL, **kwargs)
    assert short.call_count == 0
