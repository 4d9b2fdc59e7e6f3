def test_fresh_databases_are_distinct_and_empty(fresh_postgres_uri, postgres_server):
    import psycopg

    other = postgres_server.create_database()
    assert other != fresh_postgres_uri
    with psycopg.connect(fresh_postgres_uri) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()[0]
    assert tables == 0
