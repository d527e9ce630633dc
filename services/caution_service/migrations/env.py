"""Alembic's entry point for the caution service's migrations; the work is in shared/migrations.py."""

from alembic import context

from shared.migrations import run_env

run_env(context)
