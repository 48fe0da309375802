"""The console's home: the dashboard when it exists and the role may open it, else the role's pages."""

from flask import current_app, redirect, render_template, url_for

from app.console import bp
from app.console.auth import console_login_required, current_staff
from app.console.nav import nav_for

DASHBOARD = "console.dashboard"


@bp.get("/")
@console_login_required()
def home():
    """Open the dashboard, or list what this role can open."""
    items = nav_for(current_staff())
    if DASHBOARD in current_app.view_functions and any(item.url == "/console/dashboard" for item in items):
        return redirect(url_for(DASHBOARD))
    return render_template("console/home.html", items=items)
