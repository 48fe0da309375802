"""Registrations: the records a public employment office keeps, each a reviewed workflow.

unemployment (失业登记: apply, confirm, review, follow-up, end), employment (就业登记 and its end,
离职), numbers (registration numbers), certifications (certified key groups: 就业困难人员认定 and
the others, with evidence, validity and renewal).

May import: the push wing (records), the jobs, stations and grid wings, the people wing, models,
app.common, app.queues, app.extensions, app.errors.
"""
