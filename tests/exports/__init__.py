"""Tests of exports: lists and statistics tables as Excel and CSV, large ones as a task, downloads."""
