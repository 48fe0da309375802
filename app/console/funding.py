"""Populations and the funding calculator (购买服务费用), with what-if and Excel (console page)."""
