"""Compliance with the plan's standing rules, gaps with since-when, weekly digests (console page)."""
