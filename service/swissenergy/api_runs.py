"""Routes that start update runs and report on them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import Response

from swissenergy.api_models import NOT_FOUND, Run, UpdateBusy, UpdateStarted, error
from swissenergy.serving import iso, json_response
from swissenergy.store import Store
from swissenergy.worker import Updater

# SQLite's INTEGER range: a larger id cannot exist, and binding one raises OverflowError.
MAX_ID = 2**63 - 1


def router(store: Store, updater: Updater) -> APIRouter:
    r = APIRouter(tags=["updates"])

    @r.get(
        "/update-forecast",
        status_code=202,
        summary="Start an update (one at a time)",
        description="Returns at once; the update runs in the background. Poll `Location`.",
        response_model=UpdateStarted,
        responses={
            202: {
                "headers": {
                    "Location": {
                        "description": "the run's URL, /runs/{run_id}",
                        "schema": {"type": "string"},
                        "required": True,
                    }
                }
            },
            409: error(UpdateBusy, "An update is already running"),
        },
    )
    def update_forecast() -> Response:
        t = updater.trigger()
        if t.started:
            body = {"run_id": t.run_id, "status": "running"}
            return json_response(body, 202, {"Location": f"/runs/{t.run_id}"})
        return json_response({"detail": "an update is already running", "run_id": t.run_id}, 409)

    @r.get(
        "/runs/latest",
        summary="State of the newest update run",
        response_model=Run,
        responses={404: NOT_FOUND},
    )
    def runs_latest() -> Response:
        run = store.latest_run()
        if run is None:
            raise HTTPException(404, "no update has run yet")
        return json_response(run_json(run))

    @r.get(
        "/runs/{run_id}",
        summary="State of one update run",
        response_model=Run,
        responses={404: NOT_FOUND},
    )
    def run_by_id(run_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
        run = store.get_run(run_id)
        if run is None:
            raise HTTPException(404, f"no run {run_id}")
        return json_response(run_json(run))

    return r


def run_json(run: dict[str, Any]) -> dict[str, Any]:
    out = dict(run)
    for k in ("started_at", "finished_at"):
        out[k] = iso(run[k])
    end = run["finished_at"]
    out["duration_s"] = round(end - run["started_at"], 3) if end else None
    out.pop("host", None)
    return out
