import pytest

from autolog.entities import ViewType
from autolog.exceptions import InvalidInputError
from autolog.store._search import like_to_glob, parse_filter


def seed_runs(store):
    """Five runs with distinct params, metrics, tags and start times (r0 oldest)."""
    ids = {}
    specs = [
        ("r0", {"C": "0.1", "kind": "lin"}, {"acc": 0.50, "loss": 2.0}, {"team": "Alpha"}),
        ("r1", {"C": "1.0", "kind": "lin"}, {"acc": 0.90, "loss": 1.0}, {"team": "alpha"}),
        ("r2", {"C": "10", "kind": "rbf"}, {"acc": 0.70}, {"team": "beta", "my tag": "x"}),
        ("r3", {"C": "1.0"}, {"acc": 0.95, "val.acc": 0.8}, {}),
        ("r4", {}, {}, {"team": "gamma_1"}),
    ]
    for number, (name, params, metrics, tags) in enumerate(specs):
        run = store.create_run("0", run_name=name, start_time=1000 + number, params=params, tags=tags)
        if metrics:
            store.log_batch(run.info.run_id, metrics=metrics)
        ids[name] = run.info.run_id
    store.update_run(ids["r1"], status="FINISHED", end_time=2000)
    store.update_run(ids["r2"], status="FAILED", end_time=3000)
    return ids


@pytest.fixture
def runs(store):
    return seed_runs(store)


@pytest.fixture(scope="module")
def seeded(make_store):
    """A store seeded once per module for the read-only tests: (store, run ids)."""
    store = make_store()
    return store, seed_runs(store)


def names(store, filter_string="", **kwargs):
    return [run.info.run_name for run in store.search_runs(["0"], filter_string, **kwargs)]


def test_default_order_is_newest_first(seeded):
    store, _ = seeded
    assert names(store) == ["r4", "r3", "r2", "r1", "r0"]


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("metrics.acc > 0.7", ["r3", "r1"]),
        ("metrics.acc >= 0.7", ["r3", "r2", "r1"]),
        ("metrics.acc < 0.7", ["r0"]),
        ("metrics.acc <= 0.7", ["r2", "r0"]),
        ("metrics.acc = 0.9", ["r1"]),
        ("metrics.acc != 0.9", ["r3", "r2", "r0"]),
        ("metrics.acc <> 0.9", ["r3", "r2", "r0"]),
        ("metrics.`val.acc` > 0.5", ["r3"]),
        ('metrics."val.acc" > 0.5', ["r3"]),
        ("metrics.val.acc > 0.5", ["r3"]),
        ("params.C = '1.0'", ["r3", "r1"]),
        ('params.C = "1.0"', ["r3", "r1"]),
        ("params.C != '1.0'", ["r2", "r0"]),
        ("params.C IN ('0.1', '10')", ["r2", "r0"]),
        ("params.C NOT IN ('0.1', '10')", ["r3", "r1"]),
        ("params.kind LIKE 'l%'", ["r1", "r0"]),
        ("tags.team LIKE 'a%'", ["r1"]),
        ("tags.team LIKE 'gamma\\_1'", ["r4"]),
        ("tags.team LIKE '_eta'", ["r2"]),
        ("tags.team ILIKE 'A%'", ["r1", "r0"]),
        ("tags.team NOT LIKE 'a%'", ["r4", "r2", "r0"]),
        ("tags.team NOT ILIKE 'a%'", ["r4", "r2"]),
        ("tags.`my tag` = 'x'", ["r2"]),
        ("attributes.status = 'FINISHED'", ["r1"]),
        ("attributes.status != 'RUNNING'", ["r2", "r1"]),
        ("attributes.status IN ('FAILED', 'FINISHED')", ["r2", "r1"]),
        ("attributes.run_name = 'r3'", ["r3"]),
        ("attributes.run_name LIKE 'r%' AND attributes.start_time > 1002", ["r4", "r3"]),
        ("attributes.start_time <= 1001", ["r1", "r0"]),
        ("attributes.end_time >= 2500", ["r2"]),
        ("run_name ILIKE 'R0'", ["r0"]),
        ("metrics.acc > 0.6 and params.C = '1.0' and tags.team LIKE 'a%'", ["r1"]),
        ("metrics.acc > 0.6 AND params.C = '1.0' And attributes.status = 'RUNNING'", ["r3"]),
        ("params.missing = 'x'", []),
        ("", ["r4", "r3", "r2", "r1", "r0"]),
    ],
)
def test_filters(seeded, filter_string, expected):
    store, _ = seeded
    assert names(store, filter_string) == expected
    assert store.count_runs("0", filter_string) == len(expected)


def test_run_id_filter(seeded):
    store, runs = seeded
    found = store.search_runs("0", f"attributes.run_id = '{runs['r2']}'")
    assert [r.info.run_id for r in found] == [runs["r2"]]
    both = f"attributes.run_id IN ('{runs['r0']}', '{runs['r4']}')"
    assert names(store, both) == ["r4", "r0"]


@pytest.mark.parametrize(
    "order_by, expected",
    [
        (["metrics.acc DESC"], ["r3", "r1", "r2", "r0", "r4"]),
        (["metrics.acc ASC"], ["r0", "r2", "r1", "r3", "r4"]),
        (["metrics.acc"], ["r0", "r2", "r1", "r3", "r4"]),
        (["metrics.loss"], ["r1", "r0", "r4", "r3", "r2"]),
        (["params.C DESC", "metrics.acc DESC"], ["r2", "r3", "r1", "r0", "r4"]),  # text order
        (["params.kind", "attributes.start_time"], ["r0", "r1", "r2", "r3", "r4"]),
        (["tags.team DESC"], ["r4", "r2", "r1", "r0", "r3"]),
        (["attributes.start_time ASC"], ["r0", "r1", "r2", "r3", "r4"]),
        (["attributes.end_time DESC"], ["r2", "r1", "r4", "r3", "r0"]),
        (["attributes.run_name desc"], ["r4", "r3", "r2", "r1", "r0"]),
        (["attributes.status"], ["r2", "r1", "r4", "r3", "r0"]),
        (["metrics.`val.acc` DESC"], ["r3", "r4", "r2", "r1", "r0"]),
    ],
)
def test_order_by(seeded, order_by, expected):
    store, _ = seeded
    assert names(store, order_by=order_by) == expected


def test_order_by_with_filter_and_missing_keys(seeded):
    store, _ = seeded
    assert names(store, "params.C = '1.0'", order_by=["metrics.loss DESC"]) == ["r1", "r3"]
    assert names(store, "metrics.acc > 0.6", order_by=["metrics.loss"]) == ["r1", "r3", "r2"]


@pytest.mark.parametrize("order_by", [None, ["metrics.acc DESC"], ["metrics.loss"], ["params.C"]])
def test_paging_covers_every_run_once(seeded, order_by):
    store, _ = seeded
    everything = names(store, order_by=order_by)
    seen, token = [], None
    while True:
        page = store.search_runs("0", max_results=2, order_by=order_by, page_token=token)
        seen += [run.info.run_name for run in page]
        token = page.token
        if token is None:
            break
        assert len(page) == 2
    assert seen == everything


def test_search_loads_data_and_view_types(store, runs):
    [run] = store.search_runs("0", "params.C = '0.1'")
    assert run.data.params == {"C": "0.1", "kind": "lin"}
    assert run.data.metrics == {"acc": 0.5, "loss": 2.0}
    assert run.data.tags == {"team": "Alpha"}
    store.delete_run(runs["r0"])
    assert "r0" not in names(store)
    assert names(store, view_type=ViewType.DELETED_ONLY) == ["r0"]
    assert len(names(store, view_type=ViewType.ALL)) == 5
    other = store.create_experiment("other")
    store.create_run(other, run_name="x")
    assert [r.info.run_name for r in store.search_runs([other, "0"], "run_name = 'x'")] == ["x"]
    assert store.search_runs([other], "run_name = 'r1'") == []


@pytest.mark.parametrize(
    "filter_string, column, fragment",
    [
        ("metrics.acc foo 1", 13, "expected a comparison operator, got 'foo'"),
        ("metrics.acc > 'x'", 15, "expected a number"),
        ("params.C > '1'", 10, "expected one of =, !=, LIKE"),
        ("params.C = 1", 12, "expected a quoted string"),
        ("bogus.x = '1'", 1, "expected 'metrics.'"),
        ("metrics.acc > 1 or metrics.acc < 0", 17, "'or' is not supported"),
        ("metrics.acc > 1 metrics.b > 2", 17, "expected 'and'"),
        ("metrics.acc >", 14, "got end of input"),
        ("params.C = 'unterminated", 12, "expected a closing quote"),
        ("params.C IN ('a' 'b')", 18, "expected ',' or ')'"),
        ("params.C IN 'a'", 13, "expected '('"),
        ("attributes.colour = 'x'", 1, "expected an attribute"),
        ("metrics. > 1", 10, "expected a key"),
        ("params.C NOT = 'a'", 14, "expected LIKE, ILIKE or IN after NOT"),
        ("metrics.acc > 1 and", 20, "got end of input"),
        ("; DROP TABLE runs", 1, "expected a valid token"),
    ],
)
def test_bad_filters_name_the_position(seeded, filter_string, column, fragment):
    store, _ = seeded
    with pytest.raises(InvalidInputError) as caught:
        store.search_runs("0", filter_string)
    message = str(caught.value)
    assert message.startswith(f"bad filter at column {column}: "), message
    assert fragment in message


@pytest.mark.parametrize("order_by", [["metrics.acc sideways"], ["nope"], ["metrics.acc DESC x"], [3]])
def test_bad_order_by(store, order_by):
    with pytest.raises(InvalidInputError):
        store.search_runs("0", order_by=order_by)


@pytest.mark.parametrize("token", ["garbage!", "e30=", "eyJvZmZzZXQiOiAtMX0=", "eyJvZmZzZXQiOiAieCJ9"])
def test_bad_page_token(store, token):
    with pytest.raises(InvalidInputError, match="page_token"):
        store.search_runs("0", page_token=token)


@pytest.mark.parametrize("max_results", [0, -1, 50001, 1.5, "10", True])
def test_max_results_is_validated(store, max_results):
    with pytest.raises(InvalidInputError, match="max_results"):
        store.search_runs("0", max_results=max_results)


def test_bad_view_type(store):
    with pytest.raises(InvalidInputError, match="view_type"):
        store.search_runs("0", view_type="sometimes")


def test_values_are_bound_never_spliced(store, runs):
    hostile = "x' OR '1'='1"
    assert names(store, f"params.C = '{hostile.replace(chr(39), chr(39) * 2)}'") == []
    store.set_tag(runs["r0"], "q", hostile)
    assert names(store, "tags.q = 'x'' OR ''1''=''1'") == ["r0"]
    assert store.count_runs("0") == 5


def test_parse_filter_keywords_case_insensitive():
    parsed = parse_filter("metrics.a >= 1e-3 AnD params.b iN ('x') and tags.c not ilike 'y%'")
    assert [c.operator for c in parsed] == [">=", "IN", "NOT ILIKE"]
    assert parsed[0].value == 0.001


def test_like_to_glob():
    assert like_to_glob("a%b_c") == "a*b?c"
    assert like_to_glob("100\\%*?[") == "100%[*][?][[]"


@pytest.mark.parametrize(
    "filter_string, order_by",
    [
        ("", None),
        ("params.group = 'a'", None),
        ("metrics.score > 1", ["metrics.score DESC"]),
        ("", ["metrics.score ASC", "params.group DESC"]),
        ("tags.parity = 'even'", ["metrics.score DESC"]),
        ("", ["params.group", "metrics.score DESC"]),
        ("", ["tags.parity DESC"]),
        ("params.group != 'b'", ["attributes.start_time ASC"]),
        ("", ["attributes.start_time DESC"]),
        ("", ["metrics.sparse DESC"]),
    ],
)
def test_index_window_agrees_with_the_full_query(seeded_ties, monkeypatch, filter_string, order_by):
    """The bounded index scan (SQLite) must page exactly like the plain query, ties included."""
    from autolog.store import _run_search

    store = seeded_ties

    def all_pages(page_size):
        seen, token = [], None
        while True:
            page = store.search_runs(
                "0", filter_string, max_results=page_size, order_by=order_by, page_token=token
            )
            seen += [run.info.run_name for run in page]
            token = page.token
            if token is None:
                return seen

    monkeypatch.setattr(_run_search, "_WINDOW_MIN_ENTRIES", 10**9)  # window never used
    expected = all_pages(7)
    assert len(expected) == store.count_runs("0", filter_string)
    monkeypatch.setattr(_run_search, "_WINDOW_MIN_ENTRIES", 1)
    monkeypatch.setattr(_run_search, "_WINDOW_FACTOR", 1)  # tiny windows: frequent fallbacks
    assert all_pages(3) == expected
    monkeypatch.setattr(_run_search, "_WINDOW_FACTOR", 3)
    assert all_pages(5) == expected


@pytest.fixture(scope="module")
def seeded_ties(make_store):
    """40 runs with many tied metric values and start times, some missing keys."""
    store = make_store()
    for number in range(40):
        tags = {"parity": "even" if number % 2 == 0 else "odd"} if number % 5 else {}
        run = store.create_run(
            "0",
            run_name=f"t{number:02d}",
            start_time=1000 + number // 3,
            params={"group": "abc"[number % 3]},
            tags=tags,
        )
        metrics = {"score": float(number % 4)}
        if number % 7 == 0:
            metrics["sparse"] = float(number)
        store.log_batch(run.info.run_id, metrics=metrics)
    return store


@pytest.mark.parametrize(
    "filter_string, order_by",
    [
        ("params.group = 'g3' and metrics.x > 0.5", ["metrics.score DESC"]),
        ("params.group = 'g3' and metrics.x > 0.5", ["metrics.score ASC", "params.group"]),
        ("tags.rare = 'yes'", ["metrics.score DESC"]),
        ("metrics.x > 0.9", ["attributes.start_time ASC"]),
    ],
)
def test_growing_window_agrees_with_the_full_query(seeded_many, monkeypatch, filter_string, order_by):
    """Selective filters over a few thousand runs: the window grows until it holds a page and
    must page exactly like the plain query (many ties in the order key)."""
    from autolog.store import _run_search

    store = seeded_many

    def all_pages(page_size):
        seen, token = [], None
        while True:
            page = store.search_runs(
                "0", filter_string, max_results=page_size, order_by=order_by, page_token=token
            )
            seen += [run.info.run_name for run in page]
            token = page.token
            if token is None:
                return seen

    monkeypatch.setattr(_run_search, "_WINDOW_MIN_ENTRIES", 10**9)  # window never used
    expected = all_pages(25)
    assert 20 < len(expected) == store.count_runs("0", filter_string) < 400
    monkeypatch.undo()
    assert all_pages(25) == expected
    monkeypatch.setattr(_run_search, "_WINDOW_MIN_ENTRIES", 1)
    monkeypatch.setattr(_run_search, "_WINDOW_FACTOR", 1)  # starts tiny: grows several times
    assert all_pages(10) == expected
    monkeypatch.setattr(_run_search, "_WINDOW_MAX_ENTRIES", 50)  # gives up early: falls back
    assert all_pages(10) == expected


@pytest.fixture(scope="module")
def seeded_many(make_store):
    """2,000 runs; 1 in 20 match the selective filter; scores tie in groups of 60."""
    import random

    from autolog.entities import Metric

    rng = random.Random(7)
    store = make_store()
    for number in range(2000):
        tags = {"rare": "yes"} if number % 67 == 0 else {}
        run = store.create_run(
            "0",
            run_name=f"r{number:04d}",
            start_time=1000 + number // 4,
            params={"group": f"g{number % 10}"},
            tags=tags,
        )
        metrics = [Metric("x", round(rng.random(), 2), 1, 0)]
        if number % 13:
            metrics.append(Metric("score", float(number % 50), 1, 0))
        store.log_batch(run.info.run_id, metrics=metrics)
    return store
