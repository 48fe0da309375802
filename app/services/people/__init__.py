"""People: who someone is and where, and what the ledger says of them; the lowest wing.

accounts (logins, staff management), throttle (failed staff logins, counted on Redis), tokens
(bearer tokens), places (the geography and its containment), scoping (what a staff member may
see: the one place this is decided), residents (profiles, staff lists), status (the ledger core:
employment status, key groups, and the zero-employment flag they decide), ageing (its daily
re-evaluation of what changes with time alone: ages, graduates' periods), personal_data (ID
numbers and phones stored, and their audited reveal), seekers (residents looking for work, on the
map), audit (the append-only log), console_sessions (the staff console's server-side sessions),
second_factor (TOTP and recovery codes), console_sign_in (the console's sign-in steps, sign-out),
consent_documents (the versioned service agreement, privacy notice and sensitive-data consent),
consents (a resident's answers and the gate `require_consent`), my_data (a person's copy of their
data), erasure (deletion requests, the ledger kept as the law requires).

May import: models, app.common, app.wechat, app.extensions, app.errors, app.queues. No other wing.
"""
