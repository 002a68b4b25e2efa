"""A warehouse out of reach is a one-line error with the password masked, not a traceback."""

from __future__ import annotations

import pytest

from mpo_pipeline.cli.main import main


def test_an_unreachable_ducklake_catalog_is_a_clear_error(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("MPO_DATA_DIR", str(tmp_path))
    # port 1 on loopback: nothing listens, the connection is refused at once
    monkeypatch.setenv(
        "MPO_WAREHOUSE", "ducklake:postgres:host=127.0.0.1 port=1 dbname=lake password=hunter2"
    )
    assert main(["publish"]) == 1
    captured = capsys.readouterr()
    out = (captured.out + captured.err).strip()
    assert out.startswith("error:") and "Traceback" not in out
    assert "127.0.0.1" in out and "hunter2" not in out
