"""Mount AuthAdapter on a session you already have."""

import os

import requests

from requests_dav import AuthAdapter, Credentials, auth_result

url = os.environ.get("DAV_URL", "https://dav.example.org/team/")
user = os.environ.get("DAV_USER", "alice")
password = os.environ.get("DAV_PASSWORD", "s3cret")

credentials = Credentials()
credentials.add(url, user, password)  # this prefix only: scheme, host, port and path

session = requests.Session()
adapter = AuthAdapter(credentials, max_replay_bytes=4 * 1024 * 1024)
session.mount("http://", adapter)
session.mount("https://", adapter)


def lines():
    for number in range(1000):
        yield f"line {number}\n".encode()


# A generator body meets the 401 challenge and is sent again with the same bytes.
response = session.put(url + "notes.txt", data=lines())
response.raise_for_status()
print(response.status_code, auth_result(response).outcome, len(response.history), "challenge")

# The protection space is known now: this request is authorized preemptively.
response = session.get(url + "notes.txt")
print(response.status_code, len(response.content), "bytes,", len(response.history), "challenges")
