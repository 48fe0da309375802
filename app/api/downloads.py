"""Sending stored files: one place that sets how a download reaches the browser."""

from flask import send_file

from app.common.files import StoredFile


def send_stored(stored: StoredFile):
    """Send a stored file as an attachment that a browser will not sniff or cache."""
    response = send_file(
        stored.path, mimetype=stored.content_type, as_attachment=True, download_name=stored.download_name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
