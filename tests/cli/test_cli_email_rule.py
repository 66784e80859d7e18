"""The e-mail rule at the shell: an address whose part before the @ is not ASCII is refused in
one line naming the option's field; a staff member added with an internationalised domain is
found again as typed."""

from __future__ import annotations

import uuid

from typer.testing import CliRunner

from cli.main import app

MONAS = ["--lat", "-6.1754", "--lon", "106.8272"]


def test_cli_submit_refuses_an_address_that_cannot_be_delivered_in_one_line(
    tanggap: CliRunner,
) -> None:
    result = tanggap.invoke(
        app,
        ["ticket", "submit", "--category", "traffic_jam", "--description", "Macet", *MONAS,
         "--email", "用户@example.com"],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "cannot be delivered: the part before the @ may only have ASCII letters" in (
        result.stderr
    )
    assert "用户" not in result.stderr and "Traceback" not in result.output


def test_cli_staff_added_with_a_unicode_domain_is_found_as_typed(tanggap: CliRunner) -> None:
    local = f"petugas-{uuid.uuid4().hex[:8]}"
    added = tanggap.invoke(
        app, ["staff", "add", f"{local}@dinas.bücher.id", "--name", "Budi", "--agency", "DISHUB"]
    )
    assert added.exit_code == 0, added.output
    assert f"{local}@dinas.xn--bcher-kva.id" in added.stdout
    stopped = tanggap.invoke(app, ["staff", "deactivate", f"{local}@DINAS.BÜCHER.ID"])
    assert stopped.exit_code == 0, stopped.output
    again = tanggap.invoke(app, ["staff", "deactivate", f"{local}@dinas.xn--bcher-kva.id"])
    assert again.exit_code == 0 and "already" in again.stdout, again.output
