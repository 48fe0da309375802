"""Pure helpers below the models: clock, geo, crypto, identity checks, credit codes, upsert, files,
spreadsheets (formula-safe exports).

Nothing here imports the app above it (models, services, api): only `app.errors` and the
Flask config of the current app. A helper that needs the database takes the session as an
argument, so the dependency stays visible at the call site.
"""
