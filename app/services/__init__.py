"""The business rules, one package per wing; plain functions on models, never on the request.

Wings, lowest first (a wing imports only the wings below it, and only their public names):

- people/    accounts, tokens, places, scoping, residents and the ledger core, personal data, audit
- jobs/      employers, job posts, reports, résumés, applications, matching, search/ (board, GEO, SQL)
- stations/  stations, QR codes, check-ins, events
- grid/      assignment, checklist, visits, progress, households + import, zero-employment cases,
             ledger snapshots
- push/      templates, subscriptions, schedule, fan-out, send, history
- demo/      the demo data of `make run` (it uses every wing, and nothing uses it)

jobs, stations and grid are siblings that do not import one another. Shared shapes live beside
the wings: `results.py` (a page of a list, a row with computed values). Services import models,
`app.common`, `app.wechat`, `app.queues`, `app.extensions` and `app.errors`; never `app.api`,
`app.auth` or `app.tasks`, and never the request. `make test` checks all of this (.importlinter).
"""
