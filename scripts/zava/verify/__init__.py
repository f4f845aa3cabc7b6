"""Checking the data: the data report, MongoDB against Ditto, the local Ditto check."""
