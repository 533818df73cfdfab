"""`evanchor verify-page`: write the verification page, for a court to keep and open itself."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click

from evanchor.anchor.report.page import verify_page_html
from evanchor.cli.output import write_atomically


@click.command("verify-page")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the page (HTML).",
)
def verify_page(*, output: Path) -> None:
    """Write the verification page: one HTML file that verifies bundles in the browser.

    Open it from the file in any current browser, with no server and no network: it checks
    a proof bundle or case bundle with its own JavaScript verifier, uploads nothing, and,
    given a chain node address or a trusted block hash, checks the anchor against that chain
    from the browser. It is the page the node serves at /verify; compare the SHA-256 printed
    here with the page you were given to know it is this one (docs/VERIFY-PAGE.md).
    """
    page = verify_page_html()
    try:
        write_atomically(output, page)
    except OSError as error:
        raise click.ClickException(f"cannot write {output}: {error.strerror}") from error
    digest = hashlib.sha256(page).hexdigest()
    click.echo(f"wrote {output} ({len(page):,} bytes, SHA-256 {digest})")
