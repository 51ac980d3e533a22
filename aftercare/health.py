"""GET /healthz: for load balancers and process supervisors. It asks the database one thing."""

from __future__ import annotations

from logging import WARNING

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .error_log import log_server_error
from .extensions import db
from .reminders.heartbeat import scheduler_report

bp = Blueprint("health", __name__)
# GET /healthz?scheduler=1 also fails (503) when the scheduler's last good pass is older than
# AFTERCARE_SCHEDULER_STALE_SECONDS (aftercare.reminders.heartbeat).


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log_server_error(503, what="health check: the database cannot be reached", level=WARNING)
        db.session.rollback()
        return jsonify(status="database unavailable"), 503
    return scheduler_report() or (jsonify(status="ok"), 200)
