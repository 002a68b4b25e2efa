"""The local Dagster instance: safe first start, and recovery of runs whose process died."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from mpo_pipeline.runs.local_instance import (
    HOST_TAG,
    PID_TAG,
    PROCESS_START_TAG,
    ensure_instance,
    owner_is_gone,
    owner_tags,
    process_start_time,
    release_dead_runs,
)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@dg.op
def _noop() -> None:
    return None


@dg.job
def _tiny_job() -> None:
    _noop()


def test_owner_tags_name_this_process():
    tags = owner_tags()
    assert tags[HOST_TAG] == socket.gethostname()
    assert tags[PID_TAG] == str(os.getpid())
    assert tags[PROCESS_START_TAG] == process_start_time(os.getpid())
    assert not owner_is_gone(tags)


def test_a_finished_process_is_gone():
    assert owner_is_gone({HOST_TAG: socket.gethostname(), PID_TAG: str(_dead_pid())})


def test_a_reused_pid_is_gone():
    """Our pid with another start time: the recorded process is not the one running now."""
    tags = {**owner_tags(), PROCESS_START_TAG: "1"}
    assert owner_is_gone(tags)


@pytest.mark.parametrize(
    "tags",
    [
        {},  # a run launched by the daemon or the UI: not ours to judge
        {HOST_TAG: "another-host", PID_TAG: "999999"},
        {HOST_TAG: socket.gethostname(), PID_TAG: "not-a-pid"},
    ],
)
def test_runs_not_owned_by_a_local_process_are_never_judged_gone(tags):
    assert not owner_is_gone(tags)


def test_ensure_instance_writes_the_config_once_and_keeps_an_existing_one(tmp_path: Path):
    home = tmp_path / "home"
    ensure_instance(home)
    text = (home / "dagster.yaml").read_text()
    assert "telemetry:\n  enabled: false" in text
    (home / "dagster.yaml").write_text(text + "# edited by the user\n")
    ensure_instance(home)
    assert (home / "dagster.yaml").read_text().endswith("# edited by the user\n")
    assert not list(home.glob(".dagster.yaml.*.tmp"))


def test_release_dead_runs_fails_them_and_frees_their_pool_slots(tmp_path: Path):
    home = tmp_path / "home"
    ensure_instance(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        host = socket.gethostname()
        dead = instance.create_run_for_job(
            _tiny_job,
            status=dg.DagsterRunStatus.STARTED,
            tags={HOST_TAG: host, PID_TAG: str(_dead_pid())},
        )
        alive = instance.create_run_for_job(
            _tiny_job, status=dg.DagsterRunStatus.STARTED, tags=owner_tags()
        )
        foreign = instance.create_run_for_job(_tiny_job, status=dg.DagsterRunStatus.STARTED)
        storage = instance.event_log_storage
        storage.set_concurrency_slots("mpo_api", 1)
        assert storage.claim_concurrency_slot("mpo_api", dead.run_id, "step").is_claimed
        # The dead run holds the only slot: nobody else gets it.
        assert not storage.claim_concurrency_slot("mpo_api", alive.run_id, "step").is_claimed

        assert release_dead_runs(instance) == [dead.run_id]

        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id(foreign.run_id).status == dg.DagsterRunStatus.STARTED
        assert storage.get_concurrency_info("mpo_api").active_slot_count == 0
        # The waiting step of the live run now gets the slot.
        assert storage.claim_concurrency_slot("mpo_api", alive.run_id, "step").is_claimed
        # A second pass finds nothing more to release.
        assert release_dead_runs(instance) == []
