"""Which way imports run between the packages of aftercare/, read from the source with `ast`.

care/ is pure rules; the features (patient/, clinic/, questionnaires/, reminders/) build on
care/ and on the shared modules at the top of aftercare/ (models, i18n, submissions, alerts,
patient_access...), and do not reach into one another except as allowed below. Only the app
factory (aftercare/__init__.py) puts the features together, and it alone registers what runs for
every request.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "aftercare"
FEATURES = ("patient", "clinic", "questionnaires", "reminders")
WEB_AND_DATABASE = ("flask", "flask_babel", "flask_login", "flask_wtf", "werkzeug", "sqlalchemy")

# Blueprint methods that register something for the whole app, not for the blueprint.
APP_WIDE_HOOKS = {
    "before_app_request",
    "after_app_request",
    "teardown_app_request",
    "app_context_processor",
    "app_errorhandler",
    "app_template_filter",
    "app_template_global",
    "app_template_test",
    "app_url_defaults",
    "app_url_value_preprocessor",
}


@dataclass(frozen=True)
class Import:
    importer: str  # module, e.g. "aftercare.patient.views"
    imported: str  # module or package, e.g. "aftercare.patient_access"
    line: int

    def __str__(self) -> str:
        return f"{self.importer} imports {self.imported} (line {self.line})"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, ast.Module]:
    return {module_name(path): ast.parse(path.read_text()) for path in PACKAGE.rglob("*.py")}


def imports_of(name: str, tree: ast.Module) -> list[Import]:
    """Every import in the module, at its top or inside a function, as absolute names."""
    is_package = (PACKAGE.parent / Path(*name.split(".")) / "__init__.py").exists()
    package = name if is_package else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # `from . import audit` imports the module aftercare.audit.
            found += [
                Import(name, f"{module}.{alias.name}" if not node.module else module, node.lineno)
                for alias in node.names
            ]
    return found


def all_imports() -> list[Import]:
    return [found for name, tree in modules().items() for found in imports_of(name, tree)]


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def feature_of(module: str) -> str | None:
    return next((f for f in FEATURES if within(module, f"aftercare.{f}")), None)


def broken(rule: Callable[[Import], bool]) -> list[str]:
    """The imports that break the rule."""
    return sorted(str(found) for found in all_imports() if rule(found))


def test_the_import_reader_sees_the_imports_it_must_judge():
    """The reader must see relative, absolute and in-function imports, or the rules see nothing."""
    imports = {(found.importer, found.imported) for found in all_imports()}
    assert ("aftercare.patient.views", "aftercare.patient_access") in imports  # from ..x import
    assert ("aftercare.patient.views", "aftercare.audit") in imports  # from .. import audit
    assert ("aftercare", "aftercare.patient.views") in imports  # inside register_blueprints
    assert ("aftercare.patient.views", "flask") in imports
    assert len(modules()) > 50


def test_care_is_pure_rules_with_no_web_framework_no_database_and_no_feature():
    def rule(found: Import) -> bool:
        if not within(found.importer, "aftercare.care"):
            return False
        top = found.imported.split(".")[0]
        outside_care = within(found.imported, "aftercare") and not within(
            found.imported, "aftercare.care"
        )
        return top in WEB_AND_DATABASE or top.startswith("flask_") or outside_care

    assert broken(rule) == []


@pytest.mark.parametrize(
    ("feature", "not_from"),
    [
        ("patient", ("clinic",)),
        ("clinic", ("patient",)),
        ("questionnaires", ("patient", "clinic")),
        ("reminders", ("patient", "clinic", "questionnaires")),
    ],
)
def test_a_feature_does_not_reach_into_the_features_above_it(feature, not_from):
    def rule(found: Import) -> bool:
        return within(found.importer, f"aftercare.{feature}") and feature_of(found.imported) in (
            not_from
        )

    assert broken(rule) == []


def test_only_the_app_factory_imports_the_patient_package():
    """What other packages need from the patient side lives in a module both import."""

    def rule(found: Import) -> bool:
        return (
            within(found.imported, "aftercare.patient")
            and not within(found.importer, "aftercare.patient")
            and found.importer != "aftercare"
        )

    assert broken(rule) == []


def test_i18n_knows_no_feature_and_not_where_the_clinicians_pages_are():
    """The patient pages hand i18n the patient's language; the factory says which pages are
    the clinicians'."""

    def rule(found: Import) -> bool:
        return found.importer == "aftercare.i18n" and feature_of(found.imported) is not None

    assert broken(rule) == []
    paths = [
        node.value
        for node in ast.walk(modules()["aftercare.i18n"])
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("/clinic")
    ]
    assert paths == []


def app_wide_hooks_in_blueprints() -> set[tuple[str, str]]:
    """(module, hook) for each `bp.before_app_request` and the like outside the factory."""
    found = set()
    for name, tree in modules().items():
        if name == "aftercare":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in APP_WIDE_HOOKS:
                found.add((name, node.attr))
    return found


def test_app_wide_hooks_are_registered_by_the_factory_not_hidden_in_blueprints():
    assert app_wide_hooks_in_blueprints() == set()
