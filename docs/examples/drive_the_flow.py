"""Drive the sans-I/O negotiation yourself: here against an in-memory "server"."""

import base64

from requests_dav import Credentials
from requests_dav.auth.flow import Negotiator
from requests_dav.auth.messages import AuthRequest, AuthResponse

credentials = Credentials()
credentials.add("http://dav.example.org/", "alice", "s3cret")
negotiator = Negotiator(credentials)
expected = "Basic " + base64.b64encode(b"alice:s3cret").decode()


def send(request):
    """Stands in for the network: a server that wants Basic credentials."""
    if request.headers.get("Authorization") == expected:
        return AuthResponse(200)
    return AuthResponse(401, [("WWW-Authenticate", 'Basic realm="team"')])


auth_request = AuthRequest(method="GET", url="http://dav.example.org/a/b.txt", headers={})
flow = negotiator.auth_flow(auth_request)
outgoing = next(flow)
while True:
    response = send(outgoing)
    try:
        outgoing = flow.send(response)
    except StopIteration as stop:
        result = stop.value
        break
print(result.outcome, result.scheme, result.realm, result.rounds, "requests")
assert (result.outcome, result.rounds) == ("ok", 2)
