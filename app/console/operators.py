"""Operators (运营机构) and their contracts; staff accounts belong to them (console page)."""
