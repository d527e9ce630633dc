"""The retention policy: documented defaults, per-force overrides over a common default, and a mistake in
CARA_RETENTION named where it is, at start."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.caution_service.config import Settings
from services.notification_service.config import Settings as NotifySettings
from shared.retention import PERIODS, RetentionConfig, RetentionPolicy, years_before


def test_with_no_configuration_every_force_gets_the_documented_defaults() -> None:
    defaults = RetentionPolicy()
    assert RetentionConfig().policy_for("CAMBS") == RetentionConfig().policy_for(None) == defaults
    assert (defaults.idempotency_days, defaults.consultation_log_years, defaults.offender_identity_years_after_spent) \
        == (30, 6, 10)
    for name in PERIODS:  # each default says where it comes from
        assert f"- {name} = {getattr(defaults, name)}" in (RetentionPolicy.__doc__ or "")


def test_a_force_s_own_periods_go_over_the_default_which_goes_over_the_built_in_ones() -> None:
    config = RetentionConfig.parse('{"default": {"idempotency_days": 14, "notifications_days": 200},'
                                   ' "forces": {"KENT": {"idempotency_days": 7}}}')
    kent, cambs = config.policy_for("KENT"), config.policy_for("CAMBS")
    assert (kent.idempotency_days, kent.notifications_days, kent.consultation_log_years) == (7, 200, 6)
    assert (cambs.idempotency_days, cambs.notifications_days) == (14, 200)


@pytest.mark.parametrize(("raw", "named"), [
    ("{", "not JSON"),
    ('{"default": {"idempotency_day": 3}}', "unknown period 'idempotency_day'"),
    ('{"forces": {"KENT": {"idempotency_days": 0}}}', "force 'KENT': idempotency_days must be a whole number from 1"),
    ('{"forces": {"KENT": {"consultation_log_years": 500}}}', "from 1 to 100, not 500"),
    ('{"default": {"notifications_days": "30"}}', "default.notifications_days: Input should be a valid integer"),
    ('{"defaults": {}}', "defaults: Extra inputs are not permitted"),
])
def test_a_mistake_is_refused_and_named(raw: str, named: str) -> None:
    with pytest.raises(ValueError, match="CARA_RETENTION") as refused:
        RetentionConfig.parse(raw)
    assert named in str(refused.value)


def test_both_services_read_it_from_the_environment_and_refuse_a_bad_one_at_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARA_RETENTION", '{"forces": {"KENT": {"idempotency_days": 3}}}')
    assert Settings().retention.policy_for("KENT").idempotency_days == 3
    assert NotifySettings().retention.policy_for("KENT").idempotency_days == 3  # the same value serves both
    monkeypatch.setenv("CARA_NOTIFY_RETENTION", '{"forces": {"KENT": {"notifications_days": 9}}}')
    assert NotifySettings().retention.policy_for("KENT").notifications_days == 9
    monkeypatch.setenv("CARA_RETENTION", '{"forces": {"KENT": {"idempotency_days": -1}}}')
    with pytest.raises(ValidationError, match="retention"):
        Settings()


def test_a_year_back_from_29_february_is_28_february() -> None:
    assert years_before(datetime(2028, 2, 29, 9, tzinfo=UTC), 6) == datetime(2022, 2, 28, 9, tzinfo=UTC)
