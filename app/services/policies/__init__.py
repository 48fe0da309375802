"""Policies: the catalogue (政策库), the facts a rule reads, matching (政策找人), the calculator, claims.

facts (the documented facts about a person or an employer), ledger_facts (gathering them from
the ledger in bulk),
rules (JsonLogic: check a rule, evaluate it with a trace and the missing conditions), benefits
(the amount a version pays over the facts), catalogue (policies and versions: draft, edit,
submit, publish by a second admin in scope, withdraw; policy_fields checks a version's fields),
calculator (POST /policies/evaluate),
matching (person × version matches: the batch over the ledger and one person at a time),
match_pushes (the policy_notice of a new match), candidates (the batch's prefilter: who could
qualify at all), my_policies (a resident's matches and near misses), working_list (who qualifies
and has not claimed, in the staff's scope),
claims (what every step shares, who sees which claim, the queues, a claim's files), claim_intake
(make a claim: from a match, by an employer, at the counter), claim_review (the stages:
accept, first review, second review, public notice and objections, approve, pay; return,
reject), roster (the payment roster's rows).

May import: the registrations wing, the push wing, the jobs, stations and grid wings, the people
wing, models, app.common, app.queues, app.extensions, app.errors.
"""
