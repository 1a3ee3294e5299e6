"""The plain HTTP calls a WHIP (RFC 9725) client makes, for the test publishers."""
import urllib.error
import urllib.parse
import urllib.request


def http(method, url, body=None, content_type=None, headers=None):
    """One request; returns (status, headers, body) for every status, errors included."""
    req = urllib.request.Request(url, data=body, method=method)
    if content_type:
        req.add_header("Content-Type", content_type)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def resource_url(endpoint, location):
    """The session's URL from the Location header, which may be relative to the endpoint."""
    return urllib.parse.urljoin(endpoint, location)
