"""Notices (信息发布): staff write a notice to a place and an audience, a second person in scope reviews it.

system.py publishes the platform's own (a published demonstration list, a digest) without a review.

May import: the policies, registrations, push, jobs, stations and grid wings, the people wing,
models, app.common, app.queues, app.extensions, app.errors.
"""
