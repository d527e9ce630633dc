"""Property-based contract tests of the notification service: schemathesis drives its ASGI app from the
OpenAPI document it serves. Every generated request, valid or not, must get an answer the document allows:
never a 5xx, a documented status and content type, a body matching the schema, invalid input refused.
Requests carry a valid token of a role the operation admits; the inbox is seeded with real notifications
so its detail route is exercised past its 404s."""

from __future__ import annotations

import re
import tempfile
import uuid
from datetime import timedelta

import hypothesis
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.notification_service.config import Settings
from services.notification_service.main import create_app
from tests.service_processes import cloud_event, issued_event
from tests.support import T0, FakeClock, token

FORCE = "CAMBS"
_DB_DIR = tempfile.TemporaryDirectory(prefix="cara-notify-contract-")
CLOCK = FakeClock(T0 + timedelta(days=10))
RECIPIENTS = {FORCE: {"police": ["ops@cambs.example"], "provider": ["referrals@provider.example"]}}
# Rate limits off: the generated runs send many writes and bad tokens as one caller from one address.
APP = create_app(Settings(environment="test", database_url=f"sqlite:///{_DB_DIR.name}/notify.sqlite3",
                          run_workers=False, email_recipients=RECIPIENTS, rate_limit_writes="off",
                          rate_limit_writes_per_address="off", rate_limit_failed_auth="off"), CLOCK)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)

ADMITTED = [(r"/v1/notifications.*", "provider"), (r"/v1/(subscriptions|consumer).*", "admin")]


def _seed() -> list[str]:
    """A referral for the provider and a contact-due notice for victim contact, in CAMBS."""
    caution_id = str(uuid.uuid4())
    events = [issued_event(caution_id, 1), cloud_event("WorkshopAAttended", caution_id, 2, 2)]
    APP.state.store.apply_page(events, head=2, next_after=2)
    with APP.state.store.engine.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT id FROM notifications ORDER BY id")]


NOTIFICATION_IDS = _seed()


@schema.auth(refresh_interval=None)
class RoleToken:
    def get(self, case: schemathesis.Case, ctx: schemathesis.AuthContext) -> str:
        role = next((r for pattern, r in ADMITTED if re.fullmatch(pattern, ctx.operation.path)), "police")
        return token(role, FORCE, subject="contract-test")

    def set(self, case: schemathesis.Case, data: str, ctx: schemathesis.AuthContext) -> None:
        headers = CaseInsensitiveDict(case.headers)
        headers["Authorization"] = f"Bearer {data}"
        case.headers = headers


@schema.hook
def flatmap_case(context: schemathesis.HookContext, case: schemathesis.Case) -> st.SearchStrategy:
    """Aim part of the valid detail requests at notifications that exist."""
    meta = case.meta
    aim = (meta is not None and isinstance(case.path_parameters, dict) and "notification_id" in case.path_parameters
           and not meta.is_negative_at(ParameterLocation.PATH))
    if not aim:
        return st.just(case)

    def steer(choice: tuple[bool, str]) -> schemathesis.Case:
        use, note_id = choice
        if use:
            case.path_parameters = {**case.path_parameters, "notification_id": note_id}
        return case

    return st.tuples(st.booleans().map(lambda b: not b), st.sampled_from(NOTIFICATION_IDS)).map(steer)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection, ignored_auth]


@schema.parametrize()
@hypothesis.settings(max_examples=30, deadline=None, derandomize=True, database=None,
                     suppress_health_check=list(HealthCheck))
def test_notification_api_conforms_to_its_openapi_document(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)


def test_the_seeded_inbox_is_what_the_detail_route_is_aimed_at() -> None:
    assert len(NOTIFICATION_IDS) == 2  # the provider's referral, victim contact's contact-due notice
