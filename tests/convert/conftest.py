"""One warm LibreOffice for the whole session: starting soffice costs seconds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.convert.libreoffice import WarmConverter


@pytest.fixture(scope="session")
def warm_converter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarmConverter]:
    with WarmConverter(tmp_path_factory.mktemp("warm-convert")) as converter:
        yield converter
