"""Making the data: distributions, the seeded dataset, its parts, workers and the load."""
