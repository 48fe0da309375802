"""Schemathesis over the whole OpenAPI document, as several roles: no 5xx, answers as documented.

A short, deterministic run that `make test` keeps: every operation of `/api/v1/openapi.json`,
sent through the app as WSGI (no server), in two passes:

- fuzzing: a few derandomized Hypothesis examples per operation, valid and invalid, each sent as
  nobody, a resident, an employer, a grid worker, a circle's operator and the city admin;
- boundaries: schemathesis' coverage cases (each declared limit, just inside and just past it:
  an id of 2^63, a string past its maxLength, a missing required field, a wrong type, …), an
  evenly spread sample per operation, sent as the first role the fuzzing pass saw get past the
  operation's guard (so they reach its parsing and rules rather than a 401).

Every answer must not be a 5xx and must match what the document says of it (status, content
type, headers, body schema). Failures are collected, not raised one by one, so one run names
every problem at once: role, operation, mode, and the check's own report with a curl to replay.
"""

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from app.extensions import db
from tests.support import YUZHONG, make_household

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
# Hypothesis examples per operation and mode; each goes out as every role. A deeper run by hand:
# SCHEMATHESIS_EXAMPLES=50 SCHEMATHESIS_BOUNDARY_CASES=1000 pytest tests/test_schemathesis.py
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", 4))
# Coverage cases per operation (of ~5,000 over the document), spread evenly over its list.
BOUNDARY_CASES = int(os.environ.get("SCHEMATHESIS_BOUNDARY_CASES", 24))
# Logging out revokes the role's token, which would turn the rest of the run into 401s.
SKIPPED_AS_ROLE = {("POST", "/api/v1/auth/logout")}
GUARDS = {401, 403}


@pytest.fixture
def world(client, staff_headers, make_seeker, make_employer, make_job, places):
    """Seed a little of everything (so small ids name real rows) and return each role's headers."""
    _, operator = staff_headers("operator", "circle", "341002-chengzhong")
    _, city = staff_headers("city_admin", "city", "341000000000")
    _, worker = staff_headers("grid_worker", "township", "341002002000")
    seeker = make_seeker(name="张三", wanted_kinds=["regular"])
    _, employer = make_employer()
    job_id = make_job(employer)
    applied = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=seeker.headers)
    assert applied.status_code == 201, applied.get_json()
    station = {"name": "昱中就业服务站", "circle": "341002-chengzhong", **YUZHONG}
    created = client.post("/api/v1/stations", json=station, headers=operator)
    assert created.status_code == 201, created.get_json()
    make_household("341002002001", [("李四", "unemployed", "19800101")])
    return {
        "anonymous": {},
        "resident": seeker.headers,
        "employer": employer,
        "grid_worker": worker,
        "operator": operator,
        "city_admin": city,
    }


class BufferedClient(Client):
    """Werkzeug's test client, reading each answer whole so a sent file is closed at once."""

    def open(self, *args, **kwargs):
        """Send one request; the app's iterable (an open file for downloads) is drained and closed."""
        kwargs["buffered"] = True
        return super().open(*args, **kwargs)


class Run:
    """One pass over the document: sends cases as roles, keeps failures and who got past guards."""

    def __init__(self, app, roles: dict):
        self.app = app
        self.roles = roles
        self.failures: list[str] = []
        self.past_guard: dict[str, list[str]] = {}
        self.sent = 0

    def send(self, case, role: str, mode: str) -> None:
        """Send one case as `role` (in a fresh app context, as a real request has) and check it."""
        operation = case.operation
        if role != "anonymous" and (operation.method.upper(), operation.path) in SKIPPED_AS_ROLE:
            return
        db.session.commit()
        self.sent += 1
        with self.app.app_context():
            try:
                response = case.call_and_validate(
                    session=BufferedClient(self.app), headers=self.roles[role], checks=CHECKS
                )
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001  (all collected, all reported)
                self.failures.append(f"{role}: {operation.label} [{mode}]\n{str(error)[:1500]}")
                return
        if response.status_code not in GUARDS and role not in self.past_guard.setdefault(operation.label, []):
            self.past_guard[operation.label].append(role)

    def fuzz(self, operation, mode) -> None:
        """Send a few derandomized examples of one operation, each as every role."""

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def each(case):
            # Generating a case costs more than sending it: one case serves every role.
            for role in self.roles:
                self.send(case, role, mode.value)

        each()

    def boundaries(self, operation) -> None:
        """Send a sample of the operation's coverage cases as a role that gets past its guard."""
        cases = list(
            CoverageGenerator(
                operation=operation,
                generation_modes=[POSITIVE, NEGATIVE],
                generation_config=operation.schema.config.generation_for(
                    operation=operation, phase="coverage"
                ),
                auth_storage=None,
                override=Override(),
                feedback=NO_FEEDBACK,
            )
        )
        step = max(1, len(cases) / BOUNDARY_CASES)
        role = (self.past_guard.get(operation.label) or ["anonymous"])[0]
        for index in range(min(len(cases), BOUNDARY_CASES)):
            self.send(cases[int(index * step)], role, "boundary")


def test_whole_document_as_every_role(app, world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    run = Run(app, world)
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (POSITIVE, NEGATIVE):
            run.fuzz(operation, mode)
        run.boundaries(operation)
    print(f"schemathesis: {run.sent} requests in {time.monotonic() - started:.1f} s")
    assert not run.failures, f"{len(run.failures)} failures:\n\n" + "\n\n".join(run.failures)
