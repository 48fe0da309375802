"""Tests of the jobs wing: employers, job posts and their lifecycle, search, résumés, applications."""
