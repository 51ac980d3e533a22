"""The audit trail in words: every action code the app records has a sentence."""

from __future__ import annotations

import ast
import html
import re
from datetime import UTC, datetime
from pathlib import Path

from aftercare.clinic.audit_words import SENTENCES, day_heading
from aftercare.models import AuditEvent
from tests.clinic.http_browser import HttpBrowser
from tests.clinic.test_settings_language import section_url

PACKAGE = Path(__file__).resolve().parents[2] / "aftercare"
AUDIT_CALLS = {"record", "record_each", "event_values"}
CODE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
# A download writes a second event when it ends (clinic/streaming.py): "<code>.completed" or
# "<code>.incomplete".
DOWNLOAD_ENDS = (".completed", ".incomplete")


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(), str(path)) for path in PACKAGE.rglob("*.py")}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _enclosing_function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> ast.FunctionDef | None:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef):
            return node
    return None


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _action_argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return call.args[position] if len(call.args) > position else None


def _module_codes(tree: ast.Module) -> set[str]:
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value)
    }


def recorded_codes() -> set[str]:
    """Every action code an audit call can record, read from the source.

    A literal is taken as it is. A function's parameter passed on as the code (or inside an
    f-string, as f"clinician.{action}") is followed to every call of that function. Any other
    expression (a value looked up in a table) counts the code-shaped literals of its module.
    """
    trees = _trees()
    # Every call in the package, by the name called, with its module and enclosing function.
    calls: dict[str, list[tuple[ast.Call, ast.Module, ast.FunctionDef | None]]] = {}
    for tree in trees.values():
        parents = _parents(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (name := _called_name(node)):
                calls.setdefault(name, []).append((node, tree, _enclosing_function(node, parents)))

    def resolve(
        expr: ast.expr | None, tree: ast.Module, function: ast.FunctionDef | None
    ) -> set[str]:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}
        if isinstance(expr, ast.JoinedStr) and len(expr.values) == 2:
            head, tail = expr.values
            if isinstance(head, ast.Constant) and isinstance(tail, ast.FormattedValue):
                return {head.value + end for end in resolve(tail.value, tree, function)}
        if isinstance(expr, ast.Name) and function is not None:
            positional = [a.arg for a in function.args.args]
            if expr.id in positional + [a.arg for a in function.args.kwonlyargs]:
                position = positional.index(expr.id) if expr.id in positional else len(positional)
                found: set[str] = set()
                for call, where, caller in calls.get(function.name, []):
                    argument = _action_argument(call, position, expr.id)
                    if argument is not None:
                        found |= resolve(argument, where, caller)
                return found
        return _module_codes(tree)

    codes: set[str] = set()
    downloads: set[str] = set()
    for name in AUDIT_CALLS:
        for call, tree, function in calls.get(name, []):
            receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
            if not (isinstance(receiver, ast.Name) and receiver.id == "audit"):
                continue
            found = resolve(_action_argument(call, 0, "action"), tree, function)
            codes |= found
            if function is not None and function.name == "streamed_download":
                downloads |= found
    return codes | {code + end for code in downloads for end in DOWNLOAD_ENDS}


def test_every_recorded_action_code_has_a_sentence():
    codes = recorded_codes()
    # The collector itself must see the codes made in each way: a literal, a parameter, an
    # f-string and a table.
    assert {"patient.view", "appointment.cancel", "clinician.disable", "check_in.create"} <= codes
    assert "export.csv.completed" in codes
    assert sorted(codes - SENTENCES.keys()) == []


def test_no_sentence_is_left_for_a_code_nothing_records():
    assert sorted(SENTENCES.keys() - recorded_codes()) == []


def test_days_are_named_as_people_say_them():
    today = datetime(2026, 12, 6, tzinfo=UTC).date()
    assert day_heading(today, today) == "Today"
    assert day_heading(datetime(2026, 12, 5).date(), today) == "Yesterday"
    assert day_heading(datetime(2026, 11, 28).date(), today) == "Saturday 28 November 2026"


def test_the_audit_page_tells_each_event_in_words(admin_client, admin, db, clinic, patient):
    seen_at = datetime(2026, 7, 1, 18, 2, tzinfo=UTC)  # 14:02 in New York (summer time)
    db.session.add_all(
        [
            AuditEvent(
                at=seen_at,
                actor=f"clinician:{admin.id}",
                action="alert.view",
                clinic_id=clinic.id,
                patient_id=patient.id,
                ip="127.0.0.1",
                detail={"alert_id": 1},
            ),
            AuditEvent(
                at=seen_at,
                actor=f"clinician:{admin.id}",
                action="patient.view",
                clinic_id=clinic.id,
                patient_id=99999,
                ip="127.0.0.1",
                detail={},
            ),
        ]
    )
    db.session.commit()

    page = admin_client.get("/clinic/admin/audit?until=2026-07-02").text

    assert f"{admin.name} viewed {patient.display_name}&#39;s alert" in page
    assert f"{admin.name} opened deleted patient no. 99999&#39;s page" in page
    assert "14:02" in page
    assert "Wednesday 1 July 2026" in page
    # The recorded code and actor stay on the page, for whoever filters by them.
    assert "<code>alert.view</code>" in page and f"clinician:{admin.id}" in page


def test_over_a_real_server_what_an_admin_does_reads_as_sentences(waitress, db, admin, patient):
    browser = HttpBrowser(waitress.url)
    assert browser.sign_in_with_code(admin, admin.test_totp_secret).status_code == 302
    assert browser.get(f"/clinic/patients/{patient.id}").status_code == 200
    form = settings_form_over_http(browser, "crisis")
    saved = browser.http.post(
        waitress.url + section_url("crisis"), data=form, allow_redirects=False
    )
    assert saved.status_code == 303

    page = browser.get("/clinic/admin/audit")

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f"{admin.name} signed in" in text
    assert f"{admin.name} opened {patient.display_name}'s page" in text
    assert f"{admin.name} changed the settings: Crisis help" in text
    assert "Today" in text


def settings_form_over_http(browser: HttpBrowser, section: str) -> dict[str, str]:
    page = browser.get(section_url(section)).text
    found = re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
    form = {name: html.unescape(value) for name, value in found}
    for name, value in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>\s*(.*?)</textarea>', page, re.S
    ):
        form[name] = html.unescape(value)
    return form
