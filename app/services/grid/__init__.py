"""Grid: the grid workers' door-to-door work and the ledger they keep.

assignment (which communities a worker works on), checklist (the walking route, open follow-ups),
visits (offline batches and their member updates), progress (visit days, quarterly coverage),
households (lists), household_import (the community ledger's rows into households and residents)
and ledger_file (its CSV/XLSX format and template), zero_employment (the cases of zero-employment
households and the help given), snapshots (the ledger's monthly counts).
Status changes, key groups and the zero-employment flag are the people wing's (people/status.py).

May import: the people wing, models, app.common, app.extensions, app.errors. Not jobs, stations
or push.
"""
