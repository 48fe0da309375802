"""Tests of the people wing: logins, staff, residents, personal data, places, audit, WeChat."""
