"""Exchange: the provincial exchange — records built from the ledger in the national format, the relay.

May import: the policies, registrations, push, jobs, stations and grid wings, the people wing,
models, app.common, app.province, app.queues, app.extensions, app.errors.
"""
