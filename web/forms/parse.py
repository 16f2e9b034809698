"""A form POST -> data of the schema's types, the raw input (to show again) and errors.

Conversion problems (``abc`` in an integer field, an oversized or forbidden upload) are
reported here; everything else is checked by the engine's ``validate_submission`` against the
same schema, so what the page accepts is exactly what the engine will accept. Read-only fields
and earlier opinions come from ``previous``, never from the request.
"""

from __future__ import annotations

import math
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict

from engine.forms import GENERIC_FORM_KEY, FormSpec, validate_submission
from services import clock
from services.errors import ValidationFailed
from services.files import policy, signatures
from services.org.models import User
from web.filters import BEIJING
from web.forms import orglabels
from web.forms.sanitize import clean_rich_text
from web.forms.tree import PICKERS, Node, form_nodes, join, walk

MISSING: Any = object()
OPINION_MAX_LENGTH = 2000  # when the schema gives no maxLength for the opinion text
_KIND_NAMES = {"user": "人员", "unit": "单位", "department": "部门"}


@dataclass(frozen=True)
class OpinionAuthor:
    """Who signs an opinion: copied into the entry, so later renames do not rewrite history."""

    user_id: int
    name: str
    position: str
    unit: str
    signature: str | None = None  # reference to the handwritten-signature image, if uploaded


def author_of(user: User) -> OpinionAuthor:
    """The opinion author for ``user`` as they are now, with their current handwritten
    signature (its stored file id) if they uploaded one on 我的签名."""
    current = signatures.current_signature(user.id)
    signature = None if current is None else str(current.id)
    return OpinionAuthor(user.id, user.name, user.position.name, user.unit.short_name, signature)


@dataclass(frozen=True)
class PendingUpload:
    """An upload that passed the checks; ``metadata`` is the dict inside the parsed data,
    which gets the stored file's ``id`` once it is saved (``web.forms.attachments``)."""

    path: str
    checked: policy.CheckedFile
    metadata: dict[str, Any]


@dataclass
class Submission:
    """The outcome of parsing: typed ``data``, ``raw`` strings for re-rendering, ``errors``."""

    data: dict[str, Any]
    raw: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    uploads: list[PendingUpload] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_submission(
    spec: FormSpec,
    form: MultiDict[str, str],
    files: MultiDict[str, FileStorage] | None = None,
    *,
    previous: dict[str, Any] | None = None,
    author: OpinionAuthor | None = None,
) -> Submission:
    """Parse and validate a POST of ``spec``; ``previous`` is the data stored so far."""
    parser = _Parser(form, files or MultiDict(), author)
    nodes = form_nodes(spec)
    data = parser.object(nodes, "", previous or {})
    hidden = _drop_hidden(nodes, data)
    errors = {k: v for k, v in parser.errors.items() if not _under(k, hidden)}
    for key, message in _validate(spec, data).items():
        errors.setdefault(key, message)
    uploads = [u for u in parser.uploads if not _under(u.path, hidden)]
    return Submission(data, parser.raw, errors, uploads)


def _validate(spec: FormSpec, data: dict[str, Any]) -> dict[str, str]:
    return validate_submission(None if spec.key == GENERIC_FORM_KEY else spec.key, data)


class _Parser:
    def __init__(
        self,
        form: MultiDict[str, str],
        files: MultiDict[str, FileStorage],
        author: OpinionAuthor | None,
    ) -> None:
        self.form = form
        self.files = files
        self.author = author
        self.raw: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.uploads: list[PendingUpload] = []

    def object(self, nodes: tuple[Node, ...], prefix: str, previous: Any) -> dict[str, Any]:
        previous = previous if isinstance(previous, dict) else {}
        data: dict[str, Any] = {}
        for node in nodes:
            value = self.node(node, join(prefix, node.name), previous.get(node.name))
            if value is not MISSING:
                data[node.name] = value
        return data

    def node(self, node: Node, path: str, stored: Any) -> Any:
        if node.readonly:
            return MISSING if stored is None else stored
        handler = _HANDLERS.get(node.widget, _Parser.scalar)
        return handler(self, node, path, stored)

    def fail(self, path: str, message: str) -> Any:
        self.errors.setdefault(path, message)
        return MISSING

    def scalar(self, node: Node, path: str, stored: Any) -> Any:
        text = self.form.get(path)
        if text is None:
            return MISSING
        self.raw[path] = text
        text = text.strip()
        if not text:
            return MISSING
        if node.widget == "richtext":
            return clean_rich_text(text) or MISSING  # markup that was all script is no answer
        return self.convert(node, path, text, _type_of(node.schema))

    def convert(self, node: Node, path: str, text: str, kind: str) -> Any:
        try:
            return _CONVERTERS[kind](text) if kind in _CONVERTERS else self.string(node, text)
        except ValueError:
            return self.fail(path, f"{node.title}{_EXPECTED.get(kind, '格式不正确')}")

    def string(self, node: Node, text: str) -> str:
        if node.widget == "datetime":
            moment = datetime.fromisoformat(text)
            moment = moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)
            return moment.astimezone(UTC).isoformat()
        return text

    def checkbox(self, node: Node, path: str, stored: Any) -> Any:
        checked = self.form.get(path, "").strip().lower() in ("true", "on", "1")
        self.raw[path] = "true" if checked else ""
        return checked

    def checkboxes(self, node: Node, path: str, stored: Any) -> Any:
        texts = [t for t in self.form.getlist(path) if t.strip()]
        self.raw[path] = texts
        kind = _type_of(node.schema.get("items") or {})
        values = [self.convert(node, path, t.strip(), kind) for t in texts]
        return MISSING if path in self.errors or not values else values

    def section(self, node: Node, path: str, stored: Any) -> Any:
        return self.object(node.children, path, stored)

    def table(self, node: Node, path: str, stored: Any) -> Any:
        kept = [i for i in _row_indexes(self.form, path) if self.row_filled(node, path, i)]
        # Rows are renumbered without the blank ones, so that error keys from the validator
        # (which counts rows in the data) match the names of the re-rendered inputs.
        self.form = _renumber(self.form, path, kept)
        self.raw[path] = len(kept)
        rows = [self.object(node.children, join(path, i), {}) for i in range(len(kept))]
        return rows or MISSING

    def row_filled(self, node: Node, path: str, index: int) -> bool:
        prefix = join(path, index)
        return any(self.form.get(join(prefix, column.name), "").strip() for column in node.children)

    def picker(self, node: Node, path: str, stored: Any) -> Any:
        texts = [p.strip() for t in self.form.getlist(path) for p in t.split(",") if p.strip()]
        self.raw[path] = texts if node.multiple else (texts[0] if texts else "")
        if not texts:
            return MISSING
        kind = PICKERS[node.widget]
        found = orglabels.labels(kind, texts)
        if any(t not in found for t in texts):
            return self.fail(path, f"{node.title}：所选{_KIND_NAMES[kind]}不存在或已停用")
        ids = [int(t) for t in dict.fromkeys(texts)]
        return ids if node.multiple else ids[0]

    def opinion(self, node: Node, path: str, stored: Any) -> Any:
        history = list(stored) if isinstance(stored, list) else []
        self.raw[path] = self.form.get(path, "")
        text = self.raw[path].strip()
        if not text:
            if node.required:
                return self.fail(path, f"请填写{node.title}")
            return history or MISSING
        limit = _opinion_limit(node)
        if len(text) > limit:
            return self.fail(path, f"{node.title}不能超过 {limit} 个字符")
        if self.author is None:
            return self.fail(path, f"{node.title}需要签名人，请先登录")
        return [*history, _opinion_entry(text, self.author)]

    def file(self, node: Node, path: str, stored: Any) -> Any:
        uploads = [f for f in self.files.getlist(path) if f.filename]
        if not uploads:
            return MISSING if stored is None else stored  # keep what was uploaded before
        described = [self.upload(node, path, f) for f in uploads]
        if path in self.errors:
            return MISSING
        return described if node.multiple else described[0]

    def upload(self, node: Node, path: str, upload: FileStorage) -> dict[str, Any] | None:
        name = policy.sanitize_filename(upload.filename or "")
        accept = _accept_list(node.schema)
        if accept and not _accepted(name, accept):
            allowed = "、".join(accept)
            self.fail(path, f"{node.title}：不允许上传「{name}」这种类型的文件（允许：{allowed}）")
            return None
        limit = policy.size_limit(node.schema.get("x-maxSizeMb"))
        content = policy.read_limited(upload.stream, limit)
        try:
            if content is None:
                raise policy.too_large(name, limit)
            checked = policy.check(name, content, limit_mb=limit)
        except ValidationFailed as exc:
            self.fail(path, f"{node.title}：{exc.message}")
            return None
        pending = PendingUpload(path, checked, _metadata(checked))
        self.uploads.append(pending)
        return pending.metadata


_HANDLERS = {
    "checkbox": _Parser.checkbox,
    "checkboxes": _Parser.checkboxes,
    "section": _Parser.section,
    "table": _Parser.table,
    "opinion": _Parser.opinion,
    "file": _Parser.file,
    **dict.fromkeys(PICKERS, _Parser.picker),
}


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def _to_number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _to_boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError(text)
    return lowered == "true"


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "integer": int,
    "number": _to_number,
    "boolean": _to_boolean,
}
_EXPECTED = {
    "integer": "应为整数",
    "number": "应为数字",
    "boolean": "应为是或否",
    "string": "格式不正确（应为日期时间）",
}


def _row_indexes(form: MultiDict[str, str], path: str) -> list[int]:
    prefix = path + "."
    found = {key[len(prefix) :].split(".", 1)[0] for key in form if key.startswith(prefix)}
    return sorted(int(i) for i in found if i.isdigit())


def _renumber(form: MultiDict[str, str], path: str, kept: list[int]) -> MultiDict[str, str]:
    new_index = {str(old): str(new) for new, old in enumerate(kept)}
    prefix = path + "."
    renamed: MultiDict[str, str] = MultiDict()
    for key, value in form.items(multi=True):
        if key.startswith(prefix):
            index, _, rest = key[len(prefix) :].partition(".")
            if index not in new_index:
                continue  # a blank row, or junk outside the table's rows
            key = f"{prefix}{new_index[index]}.{rest}"
        renamed.add(key, value)
    return renamed


def _opinion_limit(node: Node) -> int:
    text = ((node.schema.get("items") or {}).get("properties") or {}).get("text") or {}
    return int(text.get("maxLength") or OPINION_MAX_LENGTH)


def _opinion_entry(text: str, author: OpinionAuthor) -> dict[str, Any]:
    return {
        "text": text,
        "user_id": author.user_id,
        "user_name": author.name,
        "position": author.position,
        "unit": author.unit,
        "time": clock.now().astimezone(UTC).isoformat(),
        "signature": author.signature,
    }


def _accept_list(schema: dict[str, Any]) -> list[str]:
    accept = schema.get("x-accept") or []
    items = accept.split(",") if isinstance(accept, str) else accept
    return [str(a).strip().lower() for a in items if str(a).strip()]


def _accepted(name: str, accept: list[str]) -> bool:
    """Like the HTML ``accept`` attribute: ``.pdf`` by extension, ``image/*`` by the type the
    extension stands for (the content is checked against the extension afterwards)."""
    lowered = name.lower()
    mimetype = (mimetypes.guess_type(lowered)[0] or "").lower()
    for rule in accept:
        if rule.startswith("."):
            if lowered.endswith(rule):
                return True
        elif rule.endswith("/*"):
            if mimetype.startswith(rule[:-1]):
                return True
        elif mimetype == rule:
            return True
    return False


def _metadata(checked: policy.CheckedFile) -> dict[str, Any]:
    return {
        "filename": checked.filename,
        "size": checked.size,
        "sha256": checked.sha256,
        "content_type": checked.kind.content_type,
    }


def _drop_hidden(nodes: tuple[Node, ...], data: dict[str, Any]) -> list[str]:
    """Remove the fields whose ``x-showIf`` condition is false; returns their paths."""
    hidden = []
    for path, node in walk(nodes):
        condition = node.show_if
        if condition and _lookup(data, str(condition["field"])) != condition.get("equals"):
            hidden.append(path)
            _remove(data, path)
    return hidden


def _lookup(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _remove(data: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    container = _lookup(data, ".".join(parents)) if parents else data
    if isinstance(container, dict):
        container.pop(last, None)


def _under(key: str, paths: list[str]) -> bool:
    return any(key == p or key.startswith(p + ".") for p in paths)
