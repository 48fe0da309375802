"""Tests of the lists wing: every console list and work queue, its scoping, masking, filters and streams."""
