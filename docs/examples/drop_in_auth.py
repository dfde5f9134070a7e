"""Pass an AuthBase subclass as auth= to code you already have."""

import os

import requests

from requests_dav import HTTPAuth

url = os.environ.get("DAV_URL", "https://dav.example.org/team/")
auth = HTTPAuth(
    os.environ.get("DAV_USER", "alice"), os.environ.get("DAV_PASSWORD", "s3cret")
)  # negotiates the strongest scheme offered: Digest before Basic


def chunks():
    yield b"first chunk, "
    yield b"second chunk"


response = requests.put(url + "drop-in.txt", data=chunks(), auth=auth, timeout=30)
response.raise_for_status()
stored = requests.get(url + "drop-in.txt", auth=auth, timeout=30).content
assert stored == b"first chunk, second chunk", stored
print("stored", stored)
