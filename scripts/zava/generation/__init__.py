"""Making the data: distributions, the seeded dataset, the loader, live activity."""
