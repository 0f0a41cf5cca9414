"""Losses of WSOL methods."""
