"""The live activity simulator and its repair pass."""
