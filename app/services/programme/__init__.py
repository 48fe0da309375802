"""Running the programme: the city's plan carried out through districts, operators and a supervisor.

responsibility (which operator answers for a circle on a day: the one place that decides),
operators and contracts (运营机构 and their 服务合同; staff accounts carry their operator),
circle_filings and memberships (a district defines its circles and files them with the city;
accepted ones take effect on a date, a community's circle kept over time), compliance and its
weekly digest (the plan's standing rules, each gap with since-when), populations and funding
(七普 figures, the fee per circle, operator, district and year, what-if), demonstration (示范社区
评选: weighted criteria, a yearly ranking with evidence), spot_checks, findings and operator_kpis
(监理: monthly phone spot-checks, findings with deadlines, KPIs per operator, the monthly report),
progress_reports (a district's monthly report to the city). Employer credibility lives in the jobs
wing (jobs/credibility.py), beside the employers it scores. docs/PROGRAMME.md tells the rules.

May import: the lists and stats wings and every wing below them, results, models, app.common,
app.queues, app.extensions, app.errors. Not exports or demo.
"""
