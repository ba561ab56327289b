"""Checking a draft post against the guidelines before it is posted."""
