"""Jobs: employers and their verification, job posts and reports, résumés, applications, matching.

Employers met in the field: employer_visits (visits and calls staff record, with hiring needs),
hiring_needs (their list, and the draft job posts made of them), employer_claims (businesses
staff register without WeChat, and their claim with a one-time code).

search/ is the nearby search (the in-process job board, the Redis GEO index, the SQL fallback);
it depends on nothing else in this wing, and the rest of the wing calls it after each change.
The "live job" rule is the model's (`models.jobs.visible_clause`, `is_searchable`).

May import: the people wing, models, app.common, app.queues (tasks by name), app.extensions,
app.errors. Not stations, grid or push: a push this wing causes is a task enqueued by name.
"""
