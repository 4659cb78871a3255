"""Rounds: compare with last round, roll forward to the next, chase what is outstanding, read a summary back."""
