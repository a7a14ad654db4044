"""Schemathesis against ``/schema/openapi.json``, in process against the ASGI app: requests
generated from the document, valid and invalid ones, for every operation and two keys (an
admin's, an analyst's), never get a 5xx, and every response matches what the document says
of it (status, content type, headers, body schema)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation

from survey_service.app import create_app
from tests.web.api_data import BASELINE, ApiData, build

OPERATIONS = ["listSurveys", "listWaves", "getWave", "getWaveIndicators", "compareWaves",
              "exportResponsesCsv", "exportCodebookCsv", "exportResponsesXlsx",
              "exportResponsesSav", "exportResponsesDta", "listResponses"]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ApiData:
    return build(tmp_path_factory.mktemp("api-schema"))


@pytest.fixture(scope="module")
def api_schema(data: ApiData) -> Any:
    return schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(data.settings))


def test_every_operation_is_tested(api_schema: Any) -> None:
    found = [r.ok().definition.raw["operationId"] for r in api_schema.get_all_operations()]
    assert sorted(found) == sorted(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_the_api_keeps_to_its_openapi_document(
        api_schema: Any, data: ApiData, operation_id: str, mode: GenerationMode) -> None:
    operation = api_schema.find_operation_by_id(operation_id)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=10, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        header = case._meta.components.get(ParameterLocation.HEADER) if case._meta else None
        bad_headers = header is not None and header.mode == GenerationMode.NEGATIVE
        waves = [None]
        if "wave_id" in (case.path_parameters or {}):
            waves.append(BASELINE)  # a wave that exists, as well as made-up ones
        for wave in waves:
            if wave is not None:
                case.path_parameters["wave_id"] = wave
            for user in ("root", "ana"):
                # a case made invalid in its headers keeps them (no key, or a broken one)
                case.call_and_validate(headers=None if bad_headers else data.auth(user))

    run()
