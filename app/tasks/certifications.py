"""The daily run of certified key groups: renewal reminders, expiry, long-term unemployment."""

from app.queues import task
from app.services.registrations import expiry, long_term


@task("default")
def run_daily() -> dict:
    """Remind before certifications end, expire those past validity, work out long-term unemployment."""
    return {**expiry.run(), "long_term_unemployed": long_term.compute()}
