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


def _ladder_edit(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    text = (ROOT / "catalogue" / "jakarta.yaml").read_text()
    assert text.count(old) == 1
    path = tmp_path / "ladder.yaml"
    path.write_text(text.replace(old, new))
    levels = next(n for n, row in enumerate(text.splitlines(), 1) if row == "    levels:")
    return path, levels


def test_cli_config_load_a_ladder_mistake_is_one_line_not_two(
    tanggap: CliRunner, tmp_path: Path
) -> None:
    """A tester's report: a percent given twice in a ladder (or a level name given twice) was
    two error lines for one mistake, the second from building the ladder as the clocks do."""
    kecamatan = (
        "{name: kecamatan, name_id: kecamatan, name_en: 'district (kecamatan)', percent: 150"
    )
    for new, said in (
        (kecamatan.replace("150", "100"), "levels must rise strictly in percent"),
        (kecamatan.replace("name: kecamatan", "name: breach"),
         "level keys (or names) must be distinct"),
    ):  # fmt: skip
        path, levels = _ladder_edit(tmp_path, kecamatan, new)

        result = tanggap.invoke(app, ["config", "load", str(path)])

        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines() == [
            f"error: {path}:{levels + 1}: ladders[0].levels: {said}"
        ]
        assert result.stdout == ""
