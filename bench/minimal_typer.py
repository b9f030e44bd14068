"""The floor of a Typer command: Typer apps that do nothing.

Timed by ``bench/run`` next to ``python -c "import typer"``: running a command costs more
than importing typer, since Typer builds a pydantic TypeAdapter for each parameter of the
command invoked.  ``hello`` has two parameters; ``commit`` has the same twelve parameters
as ``delegation commit`` (types, parsers and defaults), so that the difference between
the two is what ``delegation`` itself costs."""

import datetime as dt
from typing import Annotated

import typer

app = typer.Typer()


def _amount(text: str) -> int:
    return int(text)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@app.command()
def hello(name: str = "x", count: int = 1) -> None:
    """Do nothing."""


@app.command()
def commit(
    amount: Annotated[int, typer.Argument(parser=_amount, metavar="AMOUNT")],
    team: Annotated[str, typer.Option("--team")],
    date: Annotated[dt.date | None, typer.Option("--date", parser=_date, metavar="YYYY-MM-DD")] = None,
    ref: Annotated[str | None, typer.Option("--ref")] = None,
    marche: Annotated[str | None, typer.Option("--marche")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    label: Annotated[str | None, typer.Option("--label")] = None,
    author: Annotated[str | None, typer.Option("--author")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    convention: Annotated[str, typer.Option("--convention", "-c", envvar="DELEGATION_CONVENTION")] = "c.yaml",
    ledger: Annotated[str | None, typer.Option("--ledger")] = None,
) -> None:
    """Do nothing with the parameters of `delegation commit`."""


if __name__ == "__main__":
    app()
