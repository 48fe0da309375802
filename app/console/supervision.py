"""Supervision (监理): phone spot-checks, findings, operator KPIs, the monthly report (console page)."""
