"""Tasks of the programme wing: filings taking effect, compliance checks and digests, credibility."""
