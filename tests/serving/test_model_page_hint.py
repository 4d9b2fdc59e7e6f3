"""The model page's "Serve it" commands work as printed: its curl body gets predictions."""

from __future__ import annotations

import html
import json
import re
import shlex

import httpx
from starlette.testclient import TestClient

from autolog.ui import create_app


def test_model_page_shows_commands_whose_body_the_server_answers(serving_store, flavor_servers):
    with TestClient(
        create_app(str(serving_store["store"]), csrf_token="t"), base_url="http://127.0.0.1:5000"
    ) as http:
        page = http.get("/models/iris").text
    serve = html.unescape(re.search(r'id="serve-command">([^<]*)<', page).group(1))
    curl = html.unescape(re.search(r'id="curl-command">([^<]*)<', page).group(1))
    assert serve == "autolog models serve models:/iris@champion --port 5001"
    assert "queried with rows of its recorded input example" in page
    words = shlex.split(curl)
    assert words[:3] == ["curl", "-s", "http://127.0.0.1:5001/invocations"]
    body = json.loads(words[words.index("-d") + 1])
    assert body["dataframe_split"]["columns"] == [
        "sepal_length",
        "sepal_width",
        "petal_length",
        "petal_width",
    ]
    answer = httpx.post(flavor_servers["sklearn"].url + "/invocations", json=body)
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 2
