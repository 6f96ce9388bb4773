"""Intake's one /v1 router: the ticket routes (api.py) and the template routes
(template_api.py) both register on it, so every route is a plain route of it."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["tickets"])
