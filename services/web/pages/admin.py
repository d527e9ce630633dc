"""Data protection / system administrator: the force's webhooks and the notification service's feed reader, the
consultation log and its integrity check, and erasure and restriction of a person's data (with the retention
rule). One router, the three areas in their own modules."""

from __future__ import annotations

from fastapi import APIRouter

from . import admin_consultations, admin_personal_data, admin_webhooks

router = APIRouter(prefix="/admin")
for area in (admin_webhooks, admin_consultations, admin_personal_data):
    router.include_router(area.router)
