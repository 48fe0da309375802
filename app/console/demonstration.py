"""Demonstration communities (示范社区评选): criteria, rankings, confirmation, export (console page)."""
