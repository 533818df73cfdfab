"""The verification page: one self-contained HTML file in which a court verifies a bundle in
its own browser, trusting neither the node that issued it nor any server.

The page holds the independent JavaScript verifier (anchor/verify/js, written from
docs/PROTOCOL.md alone) and the @noble hash and curve packages, bundled inline with the
page's own script by `anchor/verify/js/build-page.mjs`; it loads nothing else and uploads
nothing: the only requests it makes are the JSON-RPC reads it sends to a chain node the user
types. It is committed here, built, so that the node (GET /verify) and `evanchor verify-page`
serve it without Node.js; tests/verify_page rebuilds it and checks that the committed file
is that build, byte for byte (docs/VERIFY-PAGE.md).
"""

from __future__ import annotations

import hashlib
from importlib import resources

PAGE_FILE = "verify_page.html"


def verify_page_html() -> bytes:
    """The page's bytes, exactly as committed (UTF-8 HTML)."""
    return resources.files(__package__).joinpath(PAGE_FILE).read_bytes()


def verify_page_sha256() -> str:
    """The SHA-256 of the page, in hex: a court compares it with the page it was given."""
    return hashlib.sha256(verify_page_html()).hexdigest()
