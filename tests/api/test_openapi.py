"""The OpenAPI document: valid 3.1, complete (every API route documented), and honest enough
that a property-based fuzz run of every operation finds no server error."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode

from engine.definitions import repository
from tests.api.helpers import PREFIX, QINGJIA, caller

FUZZ_EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 10}


def test_document_validates_as_openapi_3_1(client):
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.1")


_ANY = re.compile(r"<any\(([^)]*)\):\w+>")
_VARIABLE = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")


def _openapi_paths(rule: str) -> list[str]:
    """Flask rule -> OpenAPI path(s): one per word of an ``any(...)`` converter."""
    rule = rule.removeprefix(PREFIX)
    choices = _ANY.search(rule)
    words = [w.strip() for w in choices.group(1).split(",")] if choices else [None]
    expanded = [_ANY.sub(word, rule) if word else rule for word in words]
    return [_VARIABLE.sub(r"{\1}", path) for path in expanded]


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.spec":
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found.update((method.lower(), p) for p in _openapi_paths(rule.rule))
    return found


def test_every_api_route_is_documented_and_nothing_else(app, client):
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert documented == _routes(app)


@pytest.fixture
def fuzz_world(app, client, org):
    """A deployed process with an instance and a task, so that guessed ids hit real rows."""
    repository.clear_spec_cache()
    caller(client, "sysadmin").deploy(QINGJIA)
    clerk = caller(client, "clerk")
    clerk.post("/process-instances", json={"process_key": "qingjia", "data": {}})
    yield caller(client, "sysadmin")
    repository.clear_spec_cache()


@pytest.mark.parametrize("mode", list(FUZZ_EXAMPLES), ids=lambda m: m.value)
def test_fuzzing_every_operation_finds_no_server_error(app, fuzz_world, mode):
    schema = schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", app)
    headers = fuzz_world.headers()
    for result in schema.get_all_operations():
        operation = result.ok()
        _fuzz(operation, mode, headers)


def _fuzz(operation, mode, headers) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=FUZZ_EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, (operation.label, case.body, case.query, response.text)

    run()
