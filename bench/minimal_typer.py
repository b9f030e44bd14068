"""The floor of any Typer command: a one-command Typer app that does nothing.

Timed by ``bench/run`` next to ``python -c "import typer"``: running a command costs more
than importing typer (parsing the command line builds its parameter types)."""

import typer

app = typer.Typer()


@app.command()
def hello(name: str = "x", count: int = 1) -> None:
    """Do nothing."""


@app.command()
def other() -> None:
    """Do nothing either (two commands, as a real application has)."""


if __name__ == "__main__":
    app()
