"""Downloads that read the database while they are sent: exports of any size, through any server.

A real server (waitress, gunicorn) reads a streamed body after the view has returned, when the
request's database session is already gone. So a streamed body never touches `db.session`: it
reads its rows a page at a time, each page in a short session of its own, and holds no
connection or transaction while the client downloads. Memory holds one page of rows.

Each download is audited twice, both rows only ever appended: `<action>` when it starts, and
`<action>.completed` or `<action>.incomplete` when it ends. A download that fails midway is
logged (what failed and where, with the request id, nothing personal) and cut off: the server
closes the connection without the final chunk, so the client sees an incomplete transfer
rather than a file that looks whole.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Response, current_app, g, has_request_context, request
from sqlalchemy import ColumnElement, Engine, Select, insert, literal, tuple_
from sqlalchemy.orm import Session

from .. import audit
from ..extensions import db
from ..models import AuditEvent, utcnow

# Rows read at a time: enough that a big export makes few round trips, few enough that a
# page of check-ins with their patients is a few hundred kilobytes.
PAGE_SIZE = 500
# Text is handed to the server in pieces of about this size rather than a line at a time.
CHUNK_BYTES = 64 * 1024
# Where the app gives each request an id for its log lines (added by the request-id hook).
REQUEST_ID_ENVIRON_KEY = "aftercare.request_id"


class DownloadFailed(Exception):
    """Raised to the server in place of the real error, so that it cuts the connection off.

    It names only the audit event: the real error's message may quote patient data, and the
    server logs what it is given.
    """


class PagedReader:
    """Reads rows a page at a time, each page in a session of its own that is closed at once."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Rows handed on so far: all of them once the download is complete, and on a failure
        # the number of the row being written.
        self.rows_read = 0

    def rows(self, query: Select[Any], *key: ColumnElement[Any]) -> Iterator[tuple[Any, ...]]:
        """The rows of `query` in the order of `key`, which must be unique (end it with the
        primary key): each page starts after the last row of the one before.

        Ordering by a key and starting after it (keyset paging), rather than skipping rows,
        reads each row once however long the export, and a row that arrives during the
        download never pushes another out of its page.
        """
        width = len(key)
        in_order = query.add_columns(*key).order_by(*key).limit(PAGE_SIZE)
        after: tuple[Any, ...] | None = None
        while True:
            page_query = in_order
            if after is not None:
                # Bound with each column's own type (UTC timestamps stay UTC on every
                # database); the first comparison lets it use an index on the leading column.
                last = [literal(value, c.type) for c, value in zip(key, after, strict=True)]
                page_query = in_order.where(key[0] >= last[0], tuple_(*key) > tuple_(*last))
            with Session(self.engine) as session:
                page = session.execute(page_query).all()
            for row in page:
                self.rows_read += 1
                yield tuple(row)[:-width]
            if len(page) < PAGE_SIZE:
                return
            after = tuple(page[-1])[-width:]


def request_id() -> str | None:
    """This request's id, where the app gives requests one; None where it does not."""
    if not has_request_context():
        return None
    return request.environ.get(REQUEST_ID_ENVIRON_KEY) or g.get("request_id")


@dataclass
class _Download:
    """What a download needs once the view has returned: all read while the request was there."""

    action: str
    started_event_id: int
    end_event: dict[str, Any]
    reader: PagedReader
    logger: logging.Logger
    request_id: str | None

    def _audit_end(self, completed: bool, **detail: Any) -> None:
        values = {
            **self.end_event,
            "at": utcnow(),
            "action": f"{self.action}.{'completed' if completed else 'incomplete'}",
            "detail": {
                "export_event_id": self.started_event_id,
                "completed": completed,
                "rows": self.reader.rows_read,
                **detail,
            },
        }
        try:
            with Session(self.reader.engine) as session, session.begin():
                session.execute(insert(AuditEvent), [values])
        except Exception:  # noqa: BLE001 (the download's own outcome must still be told)
            self.logger.warning(
                "%s: the audit row for its end could not be written (audit event %s, request %s)",
                self.action,
                self.started_event_id,
                self.request_id or "-",
            )

    def failed(self, error: BaseException) -> None:
        """Log what failed and where, with no values: messages can quote patient data."""
        frames = traceback.extract_tb(error.__traceback__)
        where = (
            f" in {frames[-1].name} ({Path(frames[-1].filename).name}:{frames[-1].lineno})"
            if frames
            else ""
        )
        stack = "".join(traceback.format_list(frames))
        self.logger.error(
            "%s did not complete: %s%s at row %d (audit event %s, request %s)\n"
            "Stack, without values:\n%s",
            self.action,
            type(error).__name__,
            where,
            self.reader.rows_read,
            self.started_event_id,
            self.request_id or "-",
            stack,
        )
        self._audit_end(False, reason="error", error=type(error).__name__)

    def stopped(self) -> None:
        """The server stopped asking for more: the client went away, or the server is closing."""
        self.logger.warning(
            "%s stopped before the end: the connection closed at row %d "
            "(audit event %s, request %s)",
            self.action,
            self.reader.rows_read,
            self.started_event_id,
            self.request_id or "-",
        )
        self._audit_end(False, reason="connection closed")

    def completed(self) -> None:
        self._audit_end(True)


def _in_chunks(pieces: Iterator[str]) -> Iterator[bytes]:
    """UTF-8 text in pieces of about CHUNK_BYTES."""
    pending: list[bytes] = []
    size = 0
    for piece in pieces:
        data = piece.encode()
        pending.append(data)
        size += len(data)
        if size >= CHUNK_BYTES:
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)


def _send(download: _Download, pieces: Iterator[str]) -> Iterator[bytes]:
    try:
        yield from _in_chunks(pieces)
    except GeneratorExit:
        download.stopped()
        raise
    except Exception as error:
        download.failed(error)
        raise DownloadFailed(
            f"download cut off, see the log line for audit event {download.started_event_id}"
        ) from None
    download.completed()


def streamed_download(
    body: Callable[[PagedReader], Iterator[str]],
    *,
    filename: str,
    mimetype: str,
    action: str,
    clinic_id: int,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> Response:
    """A download of `body(reader)`, read from the database as it is sent, and audited.

    `body` gets a PagedReader and gives the file's text in pieces; it must read the database
    only through the reader. The start is audited (and committed) before the first byte.
    """
    started = audit.record(action, clinic_id=clinic_id, patient_id=patient_id, detail=detail)
    db.session.flush()
    started_event_id = started.id
    db.session.commit()
    reader = PagedReader(db.engine)
    download = _Download(
        action=action,
        started_event_id=started_event_id,
        end_event=audit.event_values(action, clinic_id=clinic_id, patient_id=patient_id),
        reader=reader,
        logger=current_app.logger,
        request_id=request_id(),
    )
    response = Response(_send(download, body(reader)), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
