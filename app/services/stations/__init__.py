"""Stations: service stations and their staff and opening hours, QR codes (signed tokens, images,
page links), check-ins with queue numbers, and events (job fairs, training) with sign-ups.

May import: the people wing, models, app.common, app.extensions, app.errors. Not jobs, grid or
push.
"""
