"""The options that say where the node's keystore password comes from (node/daemon/passwords.py).

Every command that unlocks the node's key takes the same three: `--password-file FILE`,
`--password-env NAME` and `--password-prompt`. They arrive in the command as one
`PasswordOptions` value named `password_options`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from evanchor.node.daemon.passwords import PasswordOptions

_FILE_HELP = {
    "use": "File whose first line is the node's keystore password (keep it outside the"
    " node folder). Default: EVANCHOR_PASSWORD_FILE, EVANCHOR_PASSWORD, the file init"
    " generated, else a prompt on a terminal.",
    "create": "File whose first line is the password for the new keystores. Default:"
    " EVANCHOR_PASSWORD_FILE, EVANCHOR_PASSWORD, else one is generated into keys/password.",
}


def _ask(question: str) -> str:
    answer: str = click.prompt(question.capitalize(), hide_input=True, err=True)
    return answer


def _ask_twice(question: str) -> str:
    answer: str = click.prompt(
        f"New {question}", hide_input=True, confirmation_prompt=True, err=True
    )
    return answer


Command = Callable[..., Any]


def password_options(*, creating: bool = False) -> Callable[[Command], Command]:
    """The three options, gathered into `password_options: PasswordOptions`.

    `creating` (for `init`): the password encrypts new keystores, so a prompt asks twice,
    and nothing is asked unless `--password-prompt` is given (init generates one instead).
    """

    def decorate(command: Command) -> Command:
        @functools.wraps(command)
        def gathered(
            *args: Any,
            password_file: Path | None,
            password_env: str | None,
            password_prompt: bool,
            **kwargs: Any,
        ) -> Any:
            given = sum((password_file is not None, password_env is not None, password_prompt))
            if given > 1:
                raise click.UsageError(
                    "give at most one of --password-file, --password-env, --password-prompt"
                )
            on_terminal = sys.stdin.isatty() and not creating
            prompt = None
            if password_prompt or on_terminal:
                prompt = _ask_twice if creating else _ask
            options = PasswordOptions(
                file=password_file, env=password_env, ask=password_prompt, prompt=prompt
            )
            return command(*args, password_options=options, **kwargs)

        decorated = click.option(
            "--password-prompt",
            is_flag=True,
            help="Ask for the password on the terminal (hidden input).",
        )(gathered)
        decorated = click.option(
            "--password-env",
            metavar="NAME",
            help="Read the password from the environment variable NAME.",
        )(decorated)
        return click.option(
            "--password-file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help=_FILE_HELP["create" if creating else "use"],
        )(decorated)

    return decorate
