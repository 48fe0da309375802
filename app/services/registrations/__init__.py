"""Registrations: the records a public employment office keeps, each a reviewed workflow.

records (what both kinds of registration share: who sees and reviews, the open key, pushes),
unemployment (失业登记: apply, take effect, end, the 就业创业证 number), employment (就业登记 and its
end, 离职), workflow (confirm, signed form, accept, reject, withdraw, end), follow_ups (定期联系 and
the daily run), numbers (registration numbers), certifications (certified key groups:
就业困难人员认定 and the others, with evidence, validity and renewal).

May import: the push wing (records), the jobs, stations and grid wings, the people wing, models,
app.common, app.queues, app.extensions, app.errors.
"""
