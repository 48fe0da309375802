"""Tests of the push wing: subscriptions, the fan-out of jobs, sending."""
