"""People: who someone is and where, and what the ledger says of them; the lowest wing.

accounts (logins, staff management), throttle (failed staff logins, counted on Redis), tokens
(bearer tokens), places (the geography and its containment), scoping (what a staff member may
see: the one place this is decided), residents (profiles, staff lists), status (the ledger core:
employment status, key groups, and the zero-employment flag they decide), ageing (its daily
re-evaluation of what changes with time alone: ages, graduates' periods), personal_data (ID
numbers and phones stored, and their audited reveal), seekers (residents looking for work, on the
map), audit (the append-only log), console_sessions (the staff console's server-side sessions),
second_factor (TOTP and recovery codes), console_sign_in (the console's sign-in steps, sign-out).

May import: models, app.common, app.wechat, app.extensions, app.errors. No other wing.
"""
