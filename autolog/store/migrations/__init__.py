"""Alembic migrations of the store schema (applied programmatically by ``autolog.store``)."""
