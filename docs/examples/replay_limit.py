"""A generator body over max_replay_bytes: the 401 comes back, the second try is preemptive."""

import os

import requests

from requests_dav import AuthAdapter, Credentials, auth_result

url = os.environ.get("DAV_URL", "https://dav.example.org/team/") + "big.bin"
credentials = Credentials()
credentials.add(url, os.environ.get("DAV_USER", "alice"), os.environ.get("DAV_PASSWORD", "s3cret"))
session = requests.Session()
adapter = AuthAdapter(credentials, max_replay_bytes=64 * 1024)
session.mount("http://", adapter)
session.mount("https://", adapter)


def huge_generator():
    for _ in range(64):
        yield b"x" * 16384  # 1 MiB in all, 16 times the replay limit


response = session.put(url, data=huge_generator())
if response.status_code == 401:
    error = auth_result(response).body_error  # outcome "not-replayable"
    print("not replayable:", error.bytes_sent, "bytes sent, limit", error.limit)
    response = session.put(url, data=huge_generator())  # preemptive this time
response.raise_for_status()
print(response.status_code, "after", len(response.history), "challenges")
