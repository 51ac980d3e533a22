"""GET /healthz: for load balancers and process supervisors. It asks the database one thing."""

from __future__ import annotations

from logging import WARNING

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .error_log import log_server_error
from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log_server_error(503, what="health check: the database cannot be reached", level=WARNING)
        db.session.rollback()
        return jsonify(status="database unavailable"), 503
    return jsonify(status="ok"), 200
