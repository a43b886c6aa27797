"""schemathesis against the OpenAPI document: generated requests to every operation never get a
5xx, and every response matches the schema the document gives for it."""

from __future__ import annotations

import pytest

pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency")

import schemathesis  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

from shopkeeper import store  # noqa: E402
from tests.server_fixtures import make_workspace  # noqa: E402

# Each call that would start real work (a forecast on the whole store, a load) only queues a
# job here: the app runs no job workers (workers=0), so the fuzzing stays quick.
_STATE: dict = {}
EXAMPLES = 8
# A first call may build a model (the guide embeds the catalogue: 7 s on a quiet 2-core machine,
# past the transport's default 10 s on a busy one); latency is a benchmark's business, not this test's.
TIMEOUT_S = 120


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    from shopkeeper.api import create_app
    from shopkeeper.store import generate_store

    folder = tmp_path_factory.mktemp("schema")
    generate_store(folder / "export", orders=1500, days=120, seed=3)
    path = folder / "w.duckdb"
    with store.Warehouse(path) as wh:
        store.ingest(wh, [folder / "export"])
    ws = make_workspace(path)
    app = create_app(ws.settings, mcp=False, web=False, workers=0)
    _STATE["token"] = ws.write_tokens["owner"]
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


@pytest.mark.slow
def test_api_conforms(api_schema):
    failures, operations = [], 0
    headers = {"Authorization": f"Bearer {_STATE['token']}"}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:
            case.call_and_validate(headers=headers, timeout=TIMEOUT_S,
                                   checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except Exception as exc:  # every operation's failure is collected, then reported
            # a flaky failure wraps the first call's error: report that error, not the wrapper
            inner = "; ".join(f"{type(e).__name__}: {str(e).strip()[:800]}"
                              for e in getattr(exc, "exceptions", ()))
            failures.append(f"{operation.label}: {str(exc).strip()[:600]}"
                            + (f" (first call: {inner})" if inner else ""))
    assert operations > 30
    assert not failures, "\n\n".join(failures)
