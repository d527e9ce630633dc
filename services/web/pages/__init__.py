"""Each role's pages, one module a role; `ROUTERS` is what create_app includes."""

from __future__ import annotations

from fastapi import APIRouter

from . import admin, court

ROUTERS: list[APIRouter] = [court.router, admin.router]
