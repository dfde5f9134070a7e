"""WebDAV in a script with DAVSession."""

import os

from requests_dav import DAVSession

url = os.environ.get("DAV_URL", "https://dav.example.org/team/")
auth = (os.environ.get("DAV_USER", "alice"), os.environ.get("DAV_PASSWORD", "s3cret"))

with DAVSession(url, auth=auth) as dav:
    dav.makedirs("reports/2026")
    dav.upload(b"quarterly figures\n", "reports/2026/q3 summary.txt")
    for entry in dav.ls("reports/2026/"):
        print(entry.path, entry.content_length, entry.last_modified, entry.is_collection)
    with dav.lock("reports/2026/q3 summary.txt"):
        dav.upload(b"revised figures\n", "reports/2026/q3 summary.txt")  # If: header added
    dav.move("reports/2026/q3 summary.txt", "reports/2026/q3.txt")
    print(dav.info("reports/2026/q3.txt").etag)
    dav.rmtree("reports")
