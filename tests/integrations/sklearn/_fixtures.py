"""Shared fixtures of the fit/search/safety tests: autolog on, a fresh SQLite store."""


def runs_of(client):
    return list(client.search_runs(["0"]))


def top_level_runs(client):
    return [run for run in runs_of(client) if run.info.parent_run_id is None]
