"""A click group whose subcommands are imported on first use.

Importing every subcommand module up front made ``reportflow --help`` pay
for DuckDB, pyarrow, SQLAlchemy, numba and FastAPI (3–6 s). Here each
subcommand is named by ``"module:attribute"`` together with its short help,
so ``--help`` lists them all without importing any, and running one imports
only its module (the pattern of click's "lazy loading subcommands" docs,
plus the help text, which click would otherwise import each command for).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a subcommand lives and the one line ``--help`` shows for it."""

    target: str
    """``"package.module:attribute"``, the click command object."""
    short_help: str


class LazyGroup(click.Group):
    """A :class:`click.Group` that imports ``lazy`` subcommands when they are asked for."""

    def __init__(
        self, *args: Any, lazy: Mapping[str, LazyCommand] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, LazyCommand] = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            self.add_command(self.load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def load(self, cmd_name: str) -> click.Command:
        """Import the subcommand ``cmd_name`` (a wrong table entry fails loudly here)."""
        module_name, _, attribute = self.lazy[cmd_name].target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[cmd_name].target} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands section of ``--help``, from the table: nothing is imported."""
        names = self.list_commands(ctx)
        # The width click gives each line of help, so both kinds of row truncate alike.
        limit = formatter.width - 6 - max((len(name) for name in names), default=0)
        rows: list[tuple[str, str]] = []
        for name in names:
            if name in self.lazy and name not in self.commands:
                # A stand-in command: click's own truncation, without importing the real one.
                stand_in = click.Command(name, help=self.lazy[name].short_help)
                rows.append((name, stand_in.get_short_help_str(limit)))
                continue
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
