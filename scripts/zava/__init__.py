"""The Zava DIY retail dataset kit: everything the scripts in scripts/ run.

Subpackages by concern: model (what the data is), generation (making it), mongo (operating the
server), reads (queries and search), verify (checking data and sync), ditto (the Ditto side),
docs (documents rendered from the definitions).
"""
