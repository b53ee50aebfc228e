"""Bug memory: records of past errors and their fixes, the index and the matcher."""
