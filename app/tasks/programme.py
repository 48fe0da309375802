"""Tasks of the programme wing: filings taking effect, compliance checks and digests, credibility."""

from app.queues import task  # noqa: F401  (each part declares its tasks below with @task)
from app.services.programme import compliance, compliance_digest, memberships


@task("default")
def check_compliance() -> dict:
    """Check the plan's rules over the city: open, refresh and close compliance gaps (hourly)."""
    return compliance.check_compliance()


@task("default")
def send_compliance_digests() -> dict:
    """Send this week's compliance digest to each district and city admin not yet sent it."""
    return compliance_digest.send_digests()


@task("default")
def apply_filings() -> dict:
    """Put in force the accepted circle filings whose day has come (each once, oldest first)."""
    return {"applied": memberships.apply_due()}
