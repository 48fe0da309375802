"""Districts' monthly progress reports to the city (console page)."""
