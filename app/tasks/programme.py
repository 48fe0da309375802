"""Tasks of the programme wing: filings taking effect, compliance checks and digests, credibility."""

from app.queues import task  # noqa: F401  (each part declares its tasks below with @task)
