"""Documents rendered from the definitions (docs/DATA_MODEL.md, SAMPLE_QUERIES.md)."""
