"""Exports: every list and statistics table as Excel (.xlsx) or CSV, large ones as a task.

writers (the files: a title block, Chinese headers, formula-safe cells, rows streamed to disk),
jobs (an export's life: written now or queued for the task `exports.run_export`, progress,
done, failed, the purge of expired files), downloads (where files are, and the signed link only
their owner may follow until it expires), tables (a statistics table in hand).
Entry points: jobs.export_listing, tables.export_table, jobs.job_status, downloads.open_download,
jobs.run_export (the task's work, callable from a script), jobs.purge_exports.

May import: the lists and stats wings and those below them (people), results, models,
app.common, app.queues, app.extensions, app.errors. Not demo.
"""
