"""``autolog models predict``: score a file in chunks, so memory stays bounded for any file size."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import IO, Any

from autolog._core._exceptions import InvalidInputError
from autolog.serving._inputs import parse_json
from autolog.serving._model import ServedModel, jsonable

DEFAULT_CHUNK_ROWS = 10_000
READERS = (".csv", ".json", ".parquet")


def predict_file(
    served: ServedModel,
    input_path: str,
    output: IO[str],
    *,
    method: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: IO[str] | None = None,
) -> int:
    """Write predictions for every row of ``input_path`` to ``output`` as CSV; return the row count.

    Parameters
    ----------
    served : ServedModel
    input_path : str
        A ``.csv`` (with a header; read ``chunk_rows`` at a time), ``.parquet`` (by row batches;
        needs pyarrow) or ``.json`` file (one document in a format ``/invocations`` accepts).
    output : text file
        Receives a header and one line per input row.
    method : str, optional
        ``predict_proba`` and the like; the model's default method otherwise.
    chunk_rows : int
        Rows scored at a time.
    progress : text file, optional
        Where a one-line progress display goes (e.g. ``sys.stderr`` on a terminal).
    """
    if chunk_rows < 1:
        raise InvalidInputError(f"chunk size must be at least 1 row, got {chunk_rows}")
    _check_input(input_path)
    writer = _PredictionWriter(output, served, method)
    meter = _Progress(progress, os.path.getsize(input_path))
    rows = 0
    for chunk, position in _chunks(input_path, chunk_rows):
        start = rows
        rows += len(chunk)
        try:
            writer.write(served.predict(chunk, method))
        except InvalidInputError as error:
            raise InvalidInputError(f"rows {start + 1}-{rows} of {input_path}: {error}") from None
        meter.update(rows, position)
    meter.done(rows)
    return rows


def _check_input(path: str) -> None:
    if os.path.splitext(path)[1].lower() not in READERS:
        raise InvalidInputError(f"cannot read {path}: use one of {', '.join(READERS)}")
    if not os.path.isfile(path):
        raise InvalidInputError(f"no input file at {path}")


def _chunks(path: str, chunk_rows: int) -> Iterator[tuple[Any, int]]:
    extension = os.path.splitext(path)[1].lower()
    if extension == ".csv":
        yield from _csv_chunks(path, chunk_rows)
    elif extension == ".parquet":
        yield from _parquet_chunks(path, chunk_rows)
    else:
        with open(path, "rb") as f:
            data, _ = parse_json(f.read())
        yield data, os.path.getsize(path)


def _csv_chunks(path: str, chunk_rows: int) -> Iterator[tuple[Any, int]]:
    import pandas

    with open(path, "rb") as f:
        try:
            for chunk in pandas.read_csv(f, chunksize=chunk_rows):
                yield chunk, f.tell()
        except (ValueError, UnicodeDecodeError, pandas.errors.ParserError) as error:
            raise InvalidInputError(f"{path} is not valid CSV with a header row: {error}") from None


def _parquet_chunks(path: str, chunk_rows: int) -> Iterator[tuple[Any, int]]:
    try:
        import pyarrow.parquet as parquet
    except ImportError:
        raise InvalidInputError("reading .parquet files needs pyarrow: pip install pyarrow") from None
    file = parquet.ParquetFile(path)
    done = 0
    for batch in file.iter_batches(batch_size=chunk_rows):
        done += batch.num_rows
        yield batch.to_pandas(), int(os.path.getsize(path) * done / max(file.metadata.num_rows, 1))


class _PredictionWriter:
    """CSV out: ``prediction`` for one value per row, one column per output otherwise."""

    def __init__(self, output: IO[str], served: ServedModel, method: str | None) -> None:
        self.output, self.served = output, served
        self.method = method or served.methods[0]
        self.header_written = False

    def write(self, predictions: Any) -> None:
        import csv

        rows = jsonable(predictions)
        if not self.header_written:
            self._write_header(rows)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows(row if isinstance(row, list) else [row] for row in rows)
        self.output.write(buffer.getvalue())

    def _write_header(self, rows: list) -> None:
        width = len(rows[0]) if rows and isinstance(rows[0], list) else 0
        classes = getattr(self.served.model, "classes_", None)
        if width == 0:
            names = ["prediction"]
        elif self.method.startswith("predict_") and classes is not None and len(classes) == width:
            names = [f"{self.method}_{label}" for label in classes]
        else:
            names = [f"{self.method}_{index}" for index in range(width)]
        self.output.write(",".join(names) + "\n")
        self.header_written = True


class _Progress:
    def __init__(self, stream: IO[str] | None, total_bytes: int) -> None:
        self.stream, self.total = stream, max(total_bytes, 1)

    def update(self, rows: int, position: int) -> None:
        if self.stream is not None:
            percent = min(100.0, 100.0 * position / self.total)
            self.stream.write(f"\rscored {rows:,} rows ({percent:5.1f} %)")
            self.stream.flush()

    def done(self, rows: int) -> None:
        if self.stream is not None:
            self.stream.write(f"\rscored {rows:,} rows (100.0 %)\n")
            self.stream.flush()
