"""The Zava DIY retail dataset kit: everything the scripts in scripts/ run.

Top-level modules: errors, settings, the command-line wrapper, the console, HTTP retries. Subpackages by
concern: model (what the data is), catalog (the products and their embeddings), generation (making and
loading the dataset), simulation (live store activity), mongo (operating the server), reads (queries and
search), verify (checking data and sync), ditto (the Ditto side), dashboard (the store page), docs
(documents rendered from the definitions).
"""
