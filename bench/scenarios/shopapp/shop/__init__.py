"""A small shop app whose functions hold a dozen bugs raising the same few generic exceptions."""
