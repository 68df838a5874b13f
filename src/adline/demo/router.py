"""HTTP for demo mode (docs/demo.md): `/demo` answers the simulated time; `/demo/step`,
`/demo/run` and `/demo/stop` move it. 404 on a server not in demo mode.

Outside the versioned OpenAPI documents: the routes exist only to drive a demo server, the
same in every version, and no Whop client knows them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from adline.auth.dependencies import CanControlDemo
from adline.core.errors import NotFound
from adline.core.http import read_json_object, validate_body
from adline.core.timestamps import format_timestamp
from adline.demo.control import DemoControl

router = APIRouter(prefix="/demo", tags=["demo"], include_in_schema=False)


def demo_control(request: Request) -> DemoControl:
    demo: DemoControl | None = getattr(request.app.state, "demo", None)
    if demo is None:
        raise NotFound(
            "Demo mode is off on this server (start it with `adline serve --demo`; "
            "see docs/demo.md)."
        )
    return demo


# Declared before the key check, so a server not in demo mode answers 404 to anyone.
DemoDep = Annotated[DemoControl, Depends(demo_control)]


class StepBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hours: int


class RunBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speed: float


def status(demo: DemoControl, status_code: int = 200) -> JSONResponse:
    progress = demo.progress
    body: dict[str, Any] = {
        "object": "demo",
        "now": format_timestamp(demo.now()),
        "running_speed": demo.running_speed,
        "progress": None
        if progress is None
        else {"hours_done": progress[0], "hours_asked": progress[1]},
    }
    return JSONResponse({"demo": body}, status_code=status_code)


@router.get("", summary="The demo clock")
async def get_demo(demo: DemoDep, principal: CanControlDemo) -> JSONResponse:
    return status(demo)


@router.post("/step", summary="Step the demo clock forward")
async def step_demo(request: Request, demo: DemoDep, principal: CanControlDemo) -> JSONResponse:
    body = validate_body(StepBody, await read_json_object(request))
    # Answers at once (202), the step under way: a request waiting on the passes would
    # hold its transaction, and on SQLite the passes need the write lock.
    demo.begin_step(body.hours)
    return status(demo, 202)


@router.post("/run", summary="Run the demo clock at a speed")
async def run_demo(request: Request, demo: DemoDep, principal: CanControlDemo) -> JSONResponse:
    body = validate_body(RunBody, await read_json_object(request))
    await demo.run(body.speed)
    return status(demo)


@router.post("/stop", summary="Stop the demo clock's run")
async def stop_demo(demo: DemoDep, principal: CanControlDemo) -> JSONResponse:
    await demo.stop()
    return status(demo)
