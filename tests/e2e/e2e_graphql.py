"""A client of the Dagster webserver's GraphQL API, used exactly as the UI uses it
(``launchPartitionBackfill``, ``partitionBackfillOrError``, ``logsForRun``, ...)."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from e2e_queries import (
    AUTOMATION,
    BACKFILL,
    LAUNCH_BACKFILL,
    RUN_LOGS,
    STOP_SCHEDULE,
    STOP_SENSOR,
    WORKSPACE,
)
from support.processes import wait_until

TERMINAL_BACKFILL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
TERMINAL_RUN = {"SUCCESS", "FAILURE", "CANCELED"}
# DuckDB's single-writer lock errors ("Could not set lock on file ...: Conflicting lock is held").
LOCK_ERROR = re.compile(r"\block(s|ed|ing)?\b", re.IGNORECASE)


class GraphQL:
    """Minimal client of ``POST /graphql`` that fails on any GraphQL error."""

    def __init__(self, base_url: str) -> None:
        self.url = f"{base_url}/graphql"
        self._http = httpx.Client(timeout=60.0)

    def close(self) -> None:
        self._http.close()

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self._http.post(self.url, json={"query": query, "variables": variables or {}})
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def location(self, name: str) -> dict[str, Any] | None:
        """Code location ``name`` once loaded, None while it loads; fails on a load error."""
        for entry in self(WORKSPACE)["workspaceOrError"]["locationEntries"]:
            loc = entry["locationOrLoadError"] or {}
            if entry["name"] != name:
                continue
            if loc.get("__typename") == "PythonError":
                raise AssertionError(f"code location {name} failed to load: {loc['message']}")
            if loc.get("__typename") == "RepositoryLocation":
                return loc
        return None

    def loaded_location(self, name: str, timeout: float) -> dict[str, Any]:
        """Wait until code location ``name`` is loaded; return its entry."""
        return wait_until(
            lambda: self.location(name), timeout, f"code location {name} loaded in the webserver"
        )

    def stop_automation(self) -> list[str]:
        """Switch every running schedule and sensor off (the UI's toggles); return their names."""
        stopped = []
        repositories = self(AUTOMATION)["repositoriesOrError"]
        assert repositories["__typename"] == "RepositoryConnection", repositories
        for repo in repositories["nodes"]:
            for schedule in repo["schedules"]:
                if schedule["scheduleState"]["status"] == "RUNNING":
                    result = self(STOP_SCHEDULE, {"id": schedule["scheduleState"]["id"]})
                    assert result["stopRunningSchedule"]["__typename"] == "ScheduleStateResult"
                    stopped.append(schedule["name"])
            for sensor in repo["sensors"]:
                if sensor["sensorState"]["status"] == "RUNNING":
                    result = self(STOP_SENSOR, {"id": sensor["sensorState"]["id"]})
                    assert result["stopSensor"]["__typename"] == "StopSensorMutationResult"
                    stopped.append(sensor["name"])
        return stopped

    def run_failures(self, run_id: str) -> list[str]:
        """The error messages of a run's failed steps (for assertion messages)."""
        return [
            f"{e.get('stepKey')}: {(e.get('error') or {}).get('message', '')[:2000]}"
            for e in self.run_messages(run_id)
            if e["__typename"] in ("ExecutionStepFailureEvent", "RunFailureEvent")
        ]

    def launch_backfill(self, params: dict[str, Any]) -> str:
        """``launchPartitionBackfill`` with ``params`` (LaunchBackfillParams); the backfill id."""
        result = self(LAUNCH_BACKFILL, {"backfillParams": params})["launchPartitionBackfill"]
        assert result["__typename"] == "LaunchBackfillSuccess", result
        return result["backfillId"]

    def backfill(self, backfill_id: str) -> dict[str, Any]:
        result = self(BACKFILL, {"backfillId": backfill_id})["partitionBackfillOrError"]
        assert result["__typename"] == "PartitionBackfill", result
        return result

    def wait_backfills(
        self, ids: list[str], timeout: float, on_poll=None, *, until_status: bool = True
    ) -> list[dict[str, Any]]:
        """Poll until every backfill's runs are finished (and, if ``until_status``, the daemon
        has given the backfill a terminal status: one more daemon tick, up to 30 s)."""
        deadline = time.monotonic() + timeout
        while True:
            states = [self.backfill(i) for i in ids]
            if all(_runs_finished(b) for b in states) and (
                not until_status or all(b["status"] in TERMINAL_BACKFILL for b in states)
            ):
                return states
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"backfills not finished within {timeout:.0f} s:\n" + self._progress(states)
                )
            if on_poll is not None:
                on_poll()
            time.sleep(2.0)

    def _progress(self, backfills: list[dict[str, Any]]) -> str:
        """Status of each backfill and the latest event of each of its runs."""
        lines = []
        for backfill in backfills:
            lines.append(f"{backfill['id']} {backfill['status']}")
            for run in backfill["runs"]:
                last = (self.run_messages(run["runId"]) or [{}])[-1]
                lines.append(f"  {run['runId']} {run['status']}: {last.get('message', '')[:200]}")
        return "\n".join(lines)

    def run_messages(self, run_id: str) -> list[dict[str, Any]]:
        """Every event of a run (paged), as dicts with message/level/error."""
        events: list[dict[str, Any]] = []
        cursor = None
        for _ in range(100):  # bounded paging: 100 000 events is far more than a run writes
            page = self(RUN_LOGS, {"runId": run_id, "afterCursor": cursor})["logsForRun"]
            assert page["__typename"] == "EventConnection", page
            events += page["events"]
            cursor = page["cursor"]
            if not page["hasMore"]:
                break
        return events


def _runs_finished(backfill: dict[str, Any]) -> bool:
    runs = backfill["runs"]
    return bool(runs) and all(run["status"] in TERMINAL_RUN for run in runs)


def asset_range_backfill_params(
    asset_keys: list[list[str]], start: str, end: str, title: str
) -> dict[str, Any]:
    """An asset backfill of one partition range per asset (``partitionsByAssets``)."""
    return {
        "partitionsByAssets": [
            {"assetKey": {"path": key}, "partitions": {"range": {"start": start, "end": end}}}
            for key in asset_keys
        ],
        "title": title,
        "tags": [],
    }


def job_backfill_params(
    repository: str,
    location: str,
    job: str,
    partition_names: list[str],
    title: str,
    asset_keys: list[list[str]] | None = None,
) -> dict[str, Any]:
    """A backfill of a job's partition set, as the UI launches it from the job's page: the
    partitions tab sends the selector alone, the "Materialize" dialog adds ``assetSelection``."""
    params: dict[str, Any] = {
        "selector": {
            "partitionSetName": f"{job}_partition_set",
            "repositorySelector": {
                "repositoryName": repository,
                "repositoryLocationName": location,
            },
        },
        "partitionNames": partition_names,
        "fromFailure": False,
        "title": title,
        "tags": [],
    }
    if asset_keys is not None:
        params["assetSelection"] = [{"path": key} for key in asset_keys]
    return params


def step_intervals(events: list[dict[str, Any]], prefix: str) -> list[tuple[float, float]]:
    """(start, end) epoch seconds of every step whose key starts with ``prefix``."""
    starts: dict[str, float] = {}
    intervals = []
    for event in events:
        step, kind = event.get("stepKey") or "", event.get("__typename")
        if not step.startswith(prefix):
            continue
        if kind == "ExecutionStepStartEvent":
            starts[step] = float(event["timestamp"]) / 1000
        elif kind in ("ExecutionStepSuccessEvent", "ExecutionStepFailureEvent") and step in starts:
            intervals.append((starts.pop(step), float(event["timestamp"]) / 1000))
    return intervals


def lock_errors(events: list[dict[str, Any]]) -> list[str]:
    """Messages of a run's events that speak of a (DuckDB) lock."""
    found = []
    for event in events:
        texts = [event.get("message") or ""]
        error = event.get("error") or {}
        texts += [error.get("message") or ""]
        texts += [c.get("message") or "" for c in error.get("causes") or []]
        found += [t for t in texts if LOCK_ERROR.search(t)]
    return found
