"""The web pages people use: search, an article, alerts (live), feeds, problems.

Server-rendered with Jinja2 templates from ``templates/``; the one stylesheet
and the one small script (the live alert stream) are in ``static/``, so the
pages need nothing from the internet. :func:`mount_web` adds them to the API.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

HERE = Path(__file__).parent


def mount_web(app: FastAPI) -> None:
    from search.web.pages import router

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(router)
