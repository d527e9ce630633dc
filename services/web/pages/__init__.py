"""Each role's pages, one module a role; `ROUTERS` is what create_app includes."""

from __future__ import annotations

from fastapi import APIRouter

from . import court, provider

ROUTERS: list[APIRouter] = [court.router, provider.router]
