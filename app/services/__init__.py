"""The business rules: plain functions on models and the session, no request objects."""
