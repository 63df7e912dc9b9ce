"""Recording decisions on requests and needs, above both (they are locked and marked answered)."""
