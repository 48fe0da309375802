"""The programme's settings (issue 22): supervision, funding, employer credibility, demonstration.

Beside app/config.py, whose Config inherits them: the figures the city tunes for running the
programme, read from the environment like every other setting (README's table lists them).
"""

from app.env import env_int


class ProgrammeSettings:
    """Settings of the programme wing and of employer credibility, shared by every environment."""

    # Supervision (监理): calls drawn per month, operator and kind, and days an operator has to
    # answer a finding (services/programme/spot_checks.py, findings.py).
    SPOT_CHECK_SAMPLE_SIZE = env_int("SPOT_CHECK_SAMPLE_SIZE", 10)
    FINDING_DUE_DAYS = env_int("FINDING_DUE_DAYS", 15)
    # Funding (services/programme/funding.py): the plan's yuan per 10,000 resident people a year,
    # service (per circle's covered people), supervision (the city's) and the cap on both (urban).
    FUNDING_SERVICE_YUAN_PER_10K = env_int("FUNDING_SERVICE_YUAN_PER_10K", 8000)
    FUNDING_SUPERVISION_YUAN_PER_10K = env_int("FUNDING_SUPERVISION_YUAN_PER_10K", 2000)
    FUNDING_CAP_YUAN_PER_10K = env_int("FUNDING_CAP_YUAN_PER_10K", 10000)
    # Employer credibility (services/jobs/credibility.py): applications needed before the answer
    # rate counts, points off per upheld fake-job report, rows recomputed per task run.
    CREDIBILITY_MIN_APPLICATIONS = env_int("CREDIBILITY_MIN_APPLICATIONS", 3)
    CREDIBILITY_REPORT_PENALTY = env_int("CREDIBILITY_REPORT_PENALTY", 15)
    CREDIBILITY_BATCH = env_int("CREDIBILITY_BATCH", 200)
    # Demonstration communities (services/programme/demonstration.py): how many a list selects
    # by default, and the days a registration's review may take to count as on time.
    DEMONSTRATION_TOP_N = env_int("DEMONSTRATION_TOP_N", 10)
    DEMONSTRATION_REVIEW_DAYS = env_int("DEMONSTRATION_REVIEW_DAYS", 7)
