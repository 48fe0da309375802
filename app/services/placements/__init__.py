"""Placements (稳岗回访): follow-ups 90 and 180 days after a hire or employment registration; retention.

May import: the policies, registrations, push, jobs, stations and grid wings, the people wing,
models, app.common, app.queues, app.extensions, app.errors.
"""
