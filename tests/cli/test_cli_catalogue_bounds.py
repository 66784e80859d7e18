"""``tanggap config load`` of a target no deadline can reach: one line, exit 2, nothing
written; before, it loaded and every report under the policy failed with an OverflowError."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app

ROOT = Path(__file__).resolve().parents[2]


def test_cli_config_load_huge_target_refused_in_one_line(
    tanggap: CliRunner, tmp_path: Path, committed: list[str]
) -> None:
    text = (ROOT / "catalogue" / "jakarta.yaml").read_text()
    big = text.replace("resolve: 5d, accept: 1d", "resolve: 3000000d, accept: 1d")
    line = next(n for n, row in enumerate(big.splitlines(), 1) if "3000000d" in row)
    path = tmp_path / "big.yaml"
    path.write_text(big)

    result = tanggap.invoke(app, ["config", "load", str(path)])

    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"error: {path}:{line}: policies[9].targets.resolve: 3000000d is too long: a target "
        "counts at most 1000 working days (1000d) and 10000 hours of business time (10000h)"
    ]
    submitted = tanggap.invoke(
        app,
        ["ticket", "submit", "--quiet", "--category", "traffic_jam", "--description", "macet",
         "--lat", "-6.1754", "--lon", "106.8272"],
    )  # fmt: skip
    assert submitted.exit_code == 0, submitted.output
    committed.append(submitted.output.split()[0])  # purged after the test: the API's tests
    # share this database, and a jam at Monas would be their duplicate
