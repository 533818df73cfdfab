"""`evanchor certificate`: the printable evidence certificate of a bundle that verifies."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from evanchor.anchor.report.certificate import render_certificate
from evanchor.anchor.report.errors import CertificateRefused
from evanchor.anchor.report.language import Lang
from evanchor.anchor.verify.report import Outcome, StepStatus
from evanchor.cli.output import write_atomically
from evanchor.cli.proof_commands import (
    LANG_OPTION,
    chain_options,
    trust_of,
    verify_file,
    witness_options,
)


class CannotVerify(click.ClickException):
    """No certificate because the chain could not settle a check: `verify`'s exit status."""

    exit_code = Outcome.CANNOT_VERIFY.exit_status


@click.command()
@click.argument("bundle_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the certificate (PDF).",
)
@chain_options
@witness_options
@LANG_OPTION
@click.option(
    "--verify-url",
    metavar="URL",
    help="A page where the bundle can be checked, added to the certificate and its QR code.",
)
def certificate(
    *,
    bundle_file: Path,
    output: Path,
    rpc_url: str | None,
    chain_export: Path | None,
    genesis: Path | None,
    block_hash: str | None,
    log_keys: tuple[str, ...],
    witness_keys: tuple[str, ...],
    witness_policy: int | None,
    lang: str,
    verify_url: str | None,
) -> None:
    """Write the evidence certificate (存证证书) of BUNDLE_FILE as an A4 PDF.

    The bundle is verified first, exactly as `evanchor verify` does with the same options;
    a bundle that does not verify gets no certificate (no file is written). Chinese by
    default, --lang en for English. Check the anchor against a chain (--rpc, --chain-export,
    --block-hash) for a certificate that can say the block is on that chain, and give the
    log's and the witnesses' keys (--log-key, --witness-key) for one that names who
    witnessed the checkpoint and when. Exit status as `evanchor verify`'s: 0 written; 1 NOT
    VERIFIED (the evidence is wrong); 3 CANNOT VERIFY (the chain was not reached, is another
    chain, or could not answer); 2 a usage error.
    """
    done = verify_file(
        bundle_file,
        rpc_url=rpc_url,
        chain_export=chain_export,
        genesis=genesis,
        block_hash=block_hash,
        trust=trust_of(log_keys, witness_keys, witness_policy),
    )
    if not done.report.ok:
        # The failed step, or (CANNOT VERIFY) the first one the chain could not settle.
        step = done.report.failed_step or next(
            s for s in done.report.steps if s.status is StepStatus.CANNOT_VERIFY
        )
        cannot = step.status is StepStatus.CANNOT_VERIFY
        refused = CertificateRefused(
            step.name, f"CANNOT VERIFY: {step.detail}" if cannot else step.detail
        )
        # The exit status of `evanchor verify`: 1 NOT VERIFIED, 3 CANNOT VERIFY.
        raise (CannotVerify if cannot else click.ClickException)(str(refused)) from refused
    summary = done.summary(Lang(lang), bundle_file.name)
    pdf = render_certificate(summary, issued_at=datetime.now(UTC), verify_url=verify_url)
    write_atomically(output, pdf)
    click.echo(f"wrote certificate {summary.certificate_number} of {bundle_file.name} to {output}")


COMMANDS = (certificate,)
