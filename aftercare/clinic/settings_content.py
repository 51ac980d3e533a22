"""A settings section's values: read from a clinic's content, and laid back over it.

Only what differs from the defaults is kept, so that a clinic benefits when a default is
improved. Saving one section changes only that section's settings: everything else in the
clinic's content (other sections, Learn articles, reason wording, translations) is carried over
exactly as it was.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from ..care.content import DEFAULT_CONTENT, clinic_content, kept_in_base_language
from .settings_forms import LIST_KEYS, OTHER_LANGUAGES, SectionForm

# How a form value becomes a content value, by field name (default: stripped text).
Reader = Callable[[SectionForm, str], Any]


def get_path(tree: Mapping[str, Any] | None, path: str) -> Any:
    node: Any = tree or {}
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def set_path(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[last] = value


def remove_path(tree: dict[str, Any], path: str) -> None:
    """Remove the value at `path`, and each parent it leaves empty."""
    *parents, last = path.split(".")
    chain = [tree]
    for part in parents:
        node = chain[-1].get(part)
        if not isinstance(node, dict):
            return
        chain.append(node)
    chain[-1].pop(last, None)
    for node, part in zip(reversed(chain[:-1]), reversed(parents), strict=True):
        if node.get(part) == {}:
            node.pop(part)


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def shown(value: Any) -> Any:
    """A content value as a form box shows it: a list of lines one per line."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def read(form: SectionForm, name: str) -> Any:
    """A field's value as content keeps it."""
    value = form[name].data
    if name in LIST_KEYS:
        return lines(value)
    if isinstance(value, str):
        return value.strip()
    return value


def form_values(content: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    """A section's English values, from merged content."""
    return {name: shown(get_path(content, path)) for name, path in fields.items()}


def translation_values(
    overrides: Mapping[str, Any] | None, words: Mapping[str, str]
) -> dict[str, Any]:
    """The clinic's own wording in each other language; an empty box means "not written"."""
    values = {}
    for language in OTHER_LANGUAGES:
        own = get_path(overrides, f"translations.{language}") or {}
        for name, path in words.items():
            values[f"{language}_{name}"] = shown(get_path(own, path)) or ""
    return values


def built_in_wording(
    overrides: Mapping[str, Any] | None,
    words: Mapping[str, str],
    translators: Mapping[str, Callable[[str], str]],
) -> dict[str, str]:
    """For each translation box, what its readers see while it is empty: the app's own
    translation, or the clinic's English where it changed the default."""
    without = {k: v for k, v in (overrides or {}).items() if k != "translations"}
    result = {}
    for language, translate in translators.items():
        content = clinic_content(without, language, translate)
        for name, path in words.items():
            result[f"{language}_{name}"] = shown(get_path(content, path))
    return result


def english_shown(overrides: Mapping[str, Any] | None, words: Mapping[str, str]) -> set[str]:
    """The translation boxes whose readers see the clinic's English for now."""
    result = set()
    for language in OTHER_LANGUAGES:
        kept = kept_in_base_language(overrides, language)
        result |= {f"{language}_{name}" for name, path in words.items() if path in kept}
    return result


def laid_over(
    previous: Mapping[str, Any] | None,
    form: SectionForm,
    fields: Mapping[str, str],
    words: Mapping[str, str],
    reader: Reader = read,
) -> tuple[dict[str, Any], list[str]]:
    """The clinic's content with this section's values from `form`, and the translations
    dropped because their English changed under them.

    Wording in another language is kept as the clinic wrote it. When a clinic changes its
    English and leaves the other language's box as it was, that translation no longer says
    what the English says: it is dropped (and named), so those patients see the new English
    until the clinic writes the translation, never old advice.
    """
    previous = previous or {}
    content = copy.deepcopy(dict(previous))
    for name, path in fields.items():
        value = reader(form, name)
        if value == get_path(DEFAULT_CONTENT, path):
            remove_path(content, path)
        else:
            set_path(content, path, value)
    before, after = clinic_content(previous), clinic_content(content)
    dropped = []
    for language in OTHER_LANGUAGES:
        for name, path in words.items():
            box = form[f"{language}_{name}"]
            value = lines(box.data) if name in LIST_KEYS else (box.data or "").strip()
            where = f"translations.{language}.{path}"
            english_changed = get_path(before, path) != get_path(after, path)
            if value and english_changed and value == get_path(previous, where):
                dropped.append(box.label.text)
                value = None
            if value:
                set_path(content, where, value)
            else:
                remove_path(content, where)
    # Checked against the defaults' shape before it is saved.
    clinic_content(content)
    return content, dropped
