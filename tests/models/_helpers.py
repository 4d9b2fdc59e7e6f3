"""Importable helpers for model tests (skops records functions by module path)."""


def double(X):
    return X * 2
