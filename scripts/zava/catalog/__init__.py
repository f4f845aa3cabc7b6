"""The product catalog (catalog.json), its loader, and the embeddings made of it."""
