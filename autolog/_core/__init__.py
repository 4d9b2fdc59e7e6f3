"""The bottom layer: entities, exceptions, constants and the key/value rules.

Every other layer (store, tracking, engine, models, context, UI, CLI, integrations) may import it;
it imports nothing else of autolog.
"""
