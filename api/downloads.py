"""Files a response sends (CSV, streamed CSV, Excel), each declared in the OpenAPI document as what it is."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Response
from fastapi.responses import PlainTextResponse, StreamingResponse

from xinzhi.spreadsheets import XLSX_MEDIA_TYPE


class CsvText(PlainTextResponse):
    """A CSV export: the class says ``text/csv``, so the OpenAPI document declares the type that is sent."""

    media_type = "text/csv"


class CsvStream(StreamingResponse):
    """A CSV export streamed in chunks, declared as ``text/csv`` like ``CsvText``."""

    media_type = "text/csv"

    @classmethod
    def of(cls, chunks: Iterator[str], filename: str | None = None) -> CsvStream:
        """The first chunk is read here, so a not-found is raised before the response starts."""
        first = next(chunks)

        def everything() -> Iterator[str]:
            yield first
            yield from chunks
        return cls(everything(), headers=attachment(filename) if filename else None)


class XlsxFile(Response):
    """An Excel workbook, declared as such in the OpenAPI document."""

    media_type = XLSX_MEDIA_TYPE


def attachment(filename: str) -> dict[str, str]:
    """The header that makes a browser save the response as ``filename``."""
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
