"""Presenting what a verification proved, to people: the plain-language summary that
`evanchor verify` prints, the printable evidence certificate (PDF), and the verification
page in which a browser verifies a bundle itself (built from anchor/verify/js, `page.py`).

Chinese by default, English on request. Everything here reads a verifier's `Report` and
the bundle's own bytes; nothing here checks evidence (that is `anchor.verify`) or builds it,
so every sentence it prints is one of three kinds, said as such: proven by the verification,
someone's claim, or explicitly not proven.
"""
