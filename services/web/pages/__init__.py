"""Each role's pages, one module a role; `ROUTERS` is what create_app includes."""

from __future__ import annotations

from fastapi import APIRouter

from . import admin, commissioner, court, police, provider, victim_contact

ROUTERS: list[APIRouter] = [court.router, police.router, provider.router, victim_contact.router, commissioner.router,
                            admin.router]
