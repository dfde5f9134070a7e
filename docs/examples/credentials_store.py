"""Protection spaces: which URLs a credential covers (no server needed)."""

from requests_dav import Credentials

credentials = Credentials()
credentials.add("https://dav.example.org/team", "alice", "s3cret")
credentials.add("https://archive.example.org/", "bob", "pässwörd", realm="archive")
credentials.add_proxy("http://proxy.example.org:3128", "carol", "pr0xy")


def user(url, **kwargs):
    found = credentials.find(url, **kwargs)
    return found.username if found else None


assert user("https://dav.example.org/team") == "alice"
assert user("https://dav.example.org/team/a/b.txt") == "alice"
assert user("https://dav.example.org/teamwork/") is None  # segments, not characters
assert user("http://dav.example.org/team/") is None  # another scheme
assert user("https://dav.example.org:8443/team/") is None  # another port
assert user("https://archive.example.org/2019/", realm="archive") == "bob"  # by realm
assert user("https://archive.example.org/2019/", realm="other") is None  # another realm
assert user("http://proxy.example.org:3128", proxy=True) == "carol"
assert user("http://proxy.example.org:3128/team") is None  # proxies are kept apart
print(credentials)  # counts only: secrets never appear in a repr
