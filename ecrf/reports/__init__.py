"""Reporters render one findings table; they never change it."""
