"""Reading the data: the sample queries and product search."""
