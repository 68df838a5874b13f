from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: 200 while the process serves")
async def healthz() -> JSONResponse:
    # Constant and touching nothing: it doubles as the framework floor in bench/.
    return JSONResponse({"status": "ok"})
