"""Nearby job search: nearby.py answers, from board.py (each process's copy of the live jobs) or
geo_index.py (Redis GEO sets of jobs, rebuilt with the seekers'), else from SQL alone.

May import: people (resident homes, the seekers' set), models, app.common, app.extensions,
app.errors. Nothing else of the jobs wing: posts, employers and applications import this.
"""
