"""Textual screens and widgets. They call domain functions in `callers/`
(in workers when those touch the database) and only render what they get."""
