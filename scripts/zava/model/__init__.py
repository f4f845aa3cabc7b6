"""What the dataset is: collections, ids, money, rules, reference figures, rhythms, the indexes."""
