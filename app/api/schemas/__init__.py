"""Marshmallow schemas of the API, one module per wing (common: shared fields and paging).

| module     | blueprints (app/api/)                                   |
|------------|----------------------------------------------------------|
| people.py  | auth, me, residents, staff, places, audit                |
| jobs.py    | employers, jobs, resumes, applications                   |
| stations.py| stations, check_ins, events                              |
| grid.py    | households, grid (assignment, checklist, visits, cases)  |
| push.py    | push                                                     |
"""
