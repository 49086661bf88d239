"""Keep the Traditional Chinese (zh-Hant) catalogues in step with the Simplified ones.

    .venv/bin/python booking/translations/hant.py           # draft new entries, compile every .mo
    .venv/bin/python booking/translations/hant.py --check   # write nothing; list what is missing

What it keeps (commit it after reading the new entries; `git diff` shows them):

- `{web,staff,health}/zh_Hant/LC_MESSAGES/messages.po`: the msgids of the area's `zh` catalogue,
  each with its Traditional text and, in a `#. zh:` comment, the Simplified text it was made from.
- `from_zh/zh_Hant/LC_MESSAGES/messages.po`: every Simplified text kept in Python under booking/
  (domain errors, SMS texts, calendar files, API messages), found by reading the source; the
  msgid is the Simplified text itself (booking.i18n.hant looks it up).

A reviewed entry is kept as it stands while its Simplified source is unchanged; a new msgid, or one
whose Simplified text changed, gets a draft: OpenCC's `s2hk` conversion, then the reviewed word
choices in WORDS. Why s2hk (and not s2twp): see docs/i18n.md. Needs the dev extra `opencc`.
"""

from __future__ import annotations

import ast
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from booking.hant import CONFIG, to_hant

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
AREAS = ("web", "staff", "health")
FROM_ZH = "from_zh"
HAN = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]")
SOURCE_NOTE = "zh: "


# --- the Simplified texts kept in Python ------------------------------------------------------

def python_texts(root: Path = ROOT) -> dict[str, tuple[str, int]]:
    """{Simplified text: (path, line) of its first use} for every Han string under booking/.

    Reads the source: string constants, and sums of constants and module-level string names
    (`SIGN + "..."`) as one text; docstrings and f-strings are left out (an f-string is a text
    only once formatted: keep such templates as constants with .format()).
    """
    found: dict[str, tuple[str, int]] = {}
    for path in sorted((root / "booking").rglob("*.py")):
        if "translations" in path.relative_to(root).parts or path.name == "hant.py":
            continue  # the catalogues, and the word list the drafts are made with
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _module_strings(tree)
        for node, text in _texts(tree, names):
            found.setdefault(text, (str(path.relative_to(root)), node.lineno))
    return found


def _module_strings(tree: ast.Module) -> dict[str, str]:
    names = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _fold(node.value, names)
            if value is not None:
                names[node.targets[0].id] = value
    return names


def _fold(node: ast.AST, names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fold(node.left, names), _fold(node.right, names)
        return left + right if left is not None and right is not None else None
    return None


def _texts(tree: ast.Module, names: dict[str, str]):
    docstrings = {id(body[0].value) for body in _bodies(tree)
                  if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)}
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.JoinedStr) or id(node) in docstrings:
            continue
        text = _fold(node, names) if isinstance(node, ast.Constant | ast.BinOp) else None
        if text is not None:
            if HAN.search(text):
                yield node, text
            continue
        stack.extend(ast.iter_child_nodes(node))


def _bodies(tree: ast.Module):
    yield tree.body
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.body


# --- catalogues -------------------------------------------------------------------------------

def folder(area: str, locale: str) -> Path:
    return HERE / area / locale / "LC_MESSAGES"


def read(path: Path) -> Catalog | None:
    if not path.exists():
        return None
    with open(path, "rb") as source:
        return read_po(source)


def wanted(area: str) -> list[tuple[object, object, list[tuple[str, int]]]]:
    """(msgid, Simplified msgstr, locations) that the zh-Hant catalogue of `area` must hold."""
    if area == FROM_ZH:
        return [(text, text, [where]) for text, where in python_texts().items()]
    simplified = read(folder(area, "zh") / "messages.po")
    return [(m.id, m.string, list(m.locations)) for m in simplified if m.id]


def _source_of(message) -> object:
    comments = list(message.auto_comments)
    for n, comment in enumerate(comments):
        if comment.startswith(SOURCE_NOTE.strip()):
            # A long note is wrapped onto several comment lines (at a space, or after "zh:"
            # when the Chinese has none): join them back with the space the wrap took.
            joined = " ".join(comments[n:])
            return joined[len(SOURCE_NOTE):].replace("\\n", "\n")
    return message.id  # from_zh: the msgid is the Simplified text


def _note(text) -> str:
    joined = " | ".join(text) if isinstance(text, tuple | list) else text
    return SOURCE_NOTE + joined.replace("\n", "\\n")


def _convert(text):
    return tuple(to_hant(t) for t in text) if isinstance(text, tuple | list) else to_hant(text)


def build(area: str) -> tuple[Catalog, list[str]]:
    """The zh-Hant catalogue of `area` as it should be, and the msgids drafted anew."""
    old = read(folder(area, "zh_Hant") / "messages.po")
    kept = {m.id: m for m in old if m.id} if old else {}
    zh = read(folder(area, "zh") / "messages.po") if area != FROM_ZH else None
    catalog = Catalog(locale="zh_Hant", project="booking", charset="utf-8", fuzzy=False,
                      header_comment=f"# Traditional Chinese ({area}). Drafted by booking/translations/hant.py "
                                     f"(OpenCC {CONFIG}), then reviewed: edit msgstr here.")
    if zh is not None:
        # The same plural rule as the Simplified catalogue (web/: two equal forms, see its header).
        catalog._num_plurals, catalog._plural_expr = zh.num_plurals, zh.plural_expr
    drafted = []
    for msgid, simplified, where in wanted(area):
        previous = kept.get(msgid)
        note = _note(simplified) if zh is not None else None
        if previous is not None and previous.string and _note(_source_of(previous)) == _note(simplified):
            string = previous.string
        else:
            string = _convert(simplified)
            drafted.append(msgid if isinstance(msgid, str) else msgid[0])
        catalog.add(msgid, string, locations=where,
                    auto_comments=[note] if note else [])
    return catalog, drafted


def po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=False, include_previous=False)
    return re.sub(rb'"POT-Creation-Date: [^"]*"\n', b"", out.getvalue())


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def compiled_matches(po_path: Path) -> bool:
    """Whether the .mo beside a .po holds exactly the .po's translations."""
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return False
    with open(po_path, "rb") as po, open(mo_path, "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    return translations(source) == translations(compiled)


def translations(catalog: Catalog) -> dict:
    """{msgid: msgstr} of a catalogue, plural forms as tuples."""
    def flat(value):
        return value if isinstance(value, str) else tuple(value)
    return {flat(m.id): flat(m.string) for m in catalog if m.id}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    problems = []
    for area in (*AREAS, FROM_ZH):
        catalog, drafted = build(area)
        path = folder(area, "zh_Hant") / "messages.po"
        if check:
            problems += [f"{area}: no reviewed Traditional for {m!r}" for m in drafted]
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(po_bytes(catalog))
            path.with_suffix(".mo").write_bytes(mo_bytes(catalog))
            print(f"{area}: {len(catalog)} messages, {len(drafted)} drafted: read them before committing")
            for msgid in drafted:
                print("   ", msgid)
    for po in sorted(HERE.glob("*/*/LC_MESSAGES/messages.po")):
        if not compiled_matches(po):
            problems.append(f"{po.relative_to(ROOT)}: the .mo is not compiled from it")
    print("\n".join(problems) or ("all catalogues complete" if check else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
