"""Reading the data: the sample queries, product search and the embeddings behind it."""
