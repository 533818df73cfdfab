"""Errors of presenting a verification: no certificate for a bundle that does not verify, no
certificate without the font it must embed."""

from __future__ import annotations

from evanchor.anchor.errors import EvanchorError


class CertificateRefused(EvanchorError):
    """The bundle did not verify, so no certificate is issued; `step` names the failed step."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(
            f"no certificate issued: the bundle does not verify ({step} step: {reason})"
        )
        self.step = step
        self.reason = reason


class FontMissing(EvanchorError):
    """No font to embed was found at any of the places searched."""

    def __init__(self, role: str, searched: tuple[str, ...]) -> None:
        super().__init__(
            f"no {role} font to embed in the certificate: looked for {', '.join(searched)}"
            " (Debian packages fonts-arphic-uming, fonts-wqy-zenhei and fonts-liberation2;"
            " scripts/bootstrap.sh installs them)"
        )
        self.role = role
        self.searched = searched
