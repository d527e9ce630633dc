"""Each role's pages, one module a role; `ROUTERS` is what create_app includes."""

from __future__ import annotations

from fastapi import APIRouter

from . import court, police

ROUTERS: list[APIRouter] = [court.router, police.router]
