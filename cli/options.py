"""Options a group takes before or after its subcommand (`--home`, `chain --data-dir`).

click parses a group's options only before the subcommand's name; the README promises that
every command takes `--home`. Rather than declare the option again on every command (and on
every command of the nested groups), the group moves it to the front of its arguments before
parsing them, where its own declaration reads it.
"""

from __future__ import annotations

import click


def hoist_option(args: list[str], name: str) -> list[str]:
    """`args` with every `name VALUE` and `name=VALUE` moved to the front, as one.

    Arguments after `--` are left alone (they are not options). Raises `click.UsageError`
    when the option is given twice with different values, or without a value.
    """
    kept: list[str] = []
    values: list[str] = []
    position = 0
    while position < len(args):
        arg = args[position]
        if arg == "--":
            kept += args[position:]
            break
        if arg == name:
            if position + 1 == len(args):
                raise click.UsageError(f"Option '{name}' requires an argument.")
            values.append(args[position + 1])
            position += 2
            continue
        if arg.startswith(name + "="):
            values.append(arg[len(name) + 1 :])
        else:
            kept.append(arg)
        position += 1
    if not values:
        return args
    if len(set(values)) > 1:
        raise click.UsageError(f"{name} given twice, as {values[0]} and {values[-1]}: give it once")
    return [name, values[0], *kept]
