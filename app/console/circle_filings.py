"""Circles per district, filed with the city (报市局备案), and their history (console page)."""
