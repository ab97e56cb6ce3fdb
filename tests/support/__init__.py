"""Helpers shared by the tests and the benchmarks (not tests themselves):
builders of real rows, databases of their own on each engine, PostgreSQL
logins, the real dialling parts, and what a pilot test reads off the screen."""
