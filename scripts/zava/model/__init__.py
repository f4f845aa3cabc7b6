"""What the dataset is: collections, ids, money, reference figures, the catalog, the indexes."""
