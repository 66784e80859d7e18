"""``tanggap``: database, catalogue, staff and ticket commands for operators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import areas, sla, staff, tickets
from cli.context import console, database, now, reported_errors
from engine import schema
from engine.catalogue import load_catalogue
from engine.lifecycle import mermaid

app = typer.Typer(
    help="Tanggap: ticket lifecycle engine for citizen reports to a city government.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
config_app = typer.Typer(help="Service catalogue and configuration.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(staff.app, name="staff")
app.add_typer(tickets.app, name="ticket")
app.add_typer(sla.app, name="sla")
app.add_typer(areas.app, name="areas")
app.command("sweep")(sla.sweep_command)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the latest revision."""
    db = database()
    schema.upgrade(db.engine)
    console.print(f"database at {db.engine.url.render_as_string()} is up to date")


@config_app.command("load")
def config_load(
    file: Annotated[Path, typer.Argument(help="catalogue YAML, e.g. catalogue/jakarta.yaml")],
) -> None:
    """Load (or reload) the service catalogue; loading the same file twice changes nothing."""
    with reported_errors(), database().transaction() as session:
        text = file.read_text(encoding="utf-8")
        summary = load_catalogue(session, text, source=str(file), now=now())
    if not summary.changed:
        console.print(f"{file}: catalogue unchanged")
        return
    for key, count in sorted(summary.as_dict().items()):
        console.print(f"{key:28} {count:5}")


@app.command("lifecycle")
def lifecycle() -> None:
    """Print the ticket lifecycle as a Mermaid state diagram."""
    console.print(mermaid())


@app.command("demo")
def demo() -> None:
    """Walk one sample report from submission to resolution and print its timeline."""
    from cli import tickets

    officer = "demo.officer@tanggap.example"
    staff.add(officer, name="Petugas Demo (Dishub)", agency="DISHUB")
    code = tickets.submit_cmd(
        category="traffic_jam",
        description="Macet total di Jl. Medan Merdeka Barat, lampu lalu lintas mati",
        lat=-6.1754,
        lon=106.8272,
        address="Jl. Medan Merdeka Barat, Gambir",
    )
    for action, note in [
        ("verify", None),
        ("assign", None),
        ("start", None),
        ("resolve", "Petugas Dishub diturunkan; lalu lintas kembali lancar"),
    ]:
        tickets.act(code, action, as_=officer, note=note)
    tickets.show(code)


if __name__ == "__main__":
    app()
