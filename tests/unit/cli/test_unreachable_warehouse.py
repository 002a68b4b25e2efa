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


def test_an_unreachable_s3_lake_is_a_clear_error(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("MPO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MPO_TODAY", "2026-02-10")
    monkeypatch.setenv("MPO_LAKE_DIR", "s3://mpo-lake/prod")
    # port 1 on loopback: nothing listens; one attempt (botocore would retry for seconds)
    monkeypatch.setenv("MPO_S3_ENDPOINT", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalr-never-shown")
    monkeypatch.setenv("MPO_CLIENT_ID", "id")
    monkeypatch.setenv("MPO_CLIENT_SECRET", "secret")
    assert main(["close", "--month", "2026-01"]) == 1
    captured = capsys.readouterr()
    out = (captured.out + captured.err).strip()
    assert "Traceback" not in out
    last = out.splitlines()[-1]
    assert last.startswith("error:") and "127.0.0.1:1" in last
    assert "wJalr-never-shown" not in out
