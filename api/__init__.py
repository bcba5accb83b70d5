"""JSON API for facility systems, and the Mobile JKN-shaped bridge."""
