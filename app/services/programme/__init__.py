"""Running the programme: the city's plan carried out through districts, operators and a supervisor.

responsibility (which operator answers for a circle on a day: the one place that decides);
operators and contracts (运营机构 and their 服务合同; staff accounts carry their operator);
circle_filings, circle_coverage and memberships (a district defines its circles and files them with
the city; accepted ones take effect on a date, each community's circle kept over time);
compliance_rules, compliance, compliance_gaps and compliance_digest (the plan's standing rules, each
gap with since-when, the weekly digest); populations, funding and funding_export (七普 figures, the
fee per circle, operator, district and year, what-if); demonstration, demonstration_criteria and
demonstration_reading (示范社区评选: weighted criteria, a yearly ranking with evidence); operator_work,
spot_checks, spot_check_calls, findings, supervision_scope, operator_kpis and supervision_report (监理:
monthly phone spot-checks, findings with deadlines, KPIs per operator, the monthly report);
indicators and progress_reports (a district's monthly report to the city). Employer credibility lives
in the jobs wing (jobs/credibility.py), beside the employers it scores. docs/PROGRAMME.md tells the rules.

May import: the lists and stats wings and every wing below them, results, models, app.common,
app.queues, app.extensions, app.errors. Not exports or demo.
"""
