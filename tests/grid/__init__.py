"""Tests of the grid wing: households and their import, grid visits, zero-employment households."""
