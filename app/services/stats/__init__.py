"""Statistics: the dashboards' figures per place and month, for the staff console and the JSON API.

places (the drill-down: resolve a place within the caller's scope, its children, breadcrumbs),
one module per section (people, zero_employment, grid, jobs, stations, push), each
`<section>(actor, place, month) -> dict` of figures, chart-ready series and tables; base (months,
place filters, grouping rows by child place, table and chart shapes), labels (the Chinese names
shown), sql (the wing's only database-specific SQL), cache (a short Redis cache per section, place
and month) and report (who sees which section; the one entry point of the API and the console).
Figures come from ledger snapshots, maintained counters and month-bounded indexed queries, never
from a scan of residents (docs/STATS.md).

May import: the push, jobs, stations, grid and people wings, results, models, app.common,
app.extensions, app.errors. Not lists, exports or demo.
"""
