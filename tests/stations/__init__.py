"""Tests of the stations wing: stations and their codes, check-ins, events."""
