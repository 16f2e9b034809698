"""The component schemas of the OpenAPI document: the JSON shapes ``serialize`` produces."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required)}


TEXT = {"type": "string"}
NULLABLE_TEXT = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
STAMP = {"type": "string", "format": "date-time"}
NULLABLE_STAMP = {"type": ["string", "null"], "format": "date-time"}
ANY_OBJECT = {"type": "object", "additionalProperties": True}

SCHEMAS: dict[str, Any] = {
    "Error": obj(
        {"error": obj({"code": TEXT, "message": TEXT, "errors": {}}, required=("code", "message"))},
        required=("error",),
    ),
    "Credentials": obj(
        {
            "username": {"type": "string", "minLength": 1},
            "password": {"type": "string", "minLength": 1},
        },
        required=("username", "password"),
    ),
    "TokenPair": obj(
        {
            "access_token": TEXT,
            "refresh_token": TEXT,
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer"},
        },
        required=("access_token", "refresh_token", "token_type", "expires_in"),
    ),
    "Definition": obj(
        {
            "key": TEXT,
            "name": TEXT,
            "latest_version": {"type": "integer"},
            "version_count": {"type": "integer"},
            "deployed_at": NULLABLE_STAMP,
            "deployed_by_id": NULLABLE_INT,
            "comment": TEXT,
        },
        required=("key", "name", "latest_version"),
    ),
    "Version": obj(
        {
            "key": TEXT,
            "version": {"type": "integer"},
            "name": TEXT,
            "checksum": TEXT,
            "deployed_at": NULLABLE_STAMP,
            "deployed_by_id": NULLABLE_INT,
            "comment": TEXT,
            "tag": NULLABLE_TEXT,
        },
        required=("key", "version", "name"),
    ),
    "Deployed": obj(
        {"key": TEXT, "version": {"type": "integer"}, "created": {"type": "boolean"}},
        required=("key", "version", "created"),
    ),
    "DeployProblems": obj(
        {
            "error": obj(
                {
                    "code": TEXT,
                    "message": TEXT,
                    "errors": {
                        "type": "array",
                        "items": obj(
                            {
                                "file": TEXT,
                                "element_id": NULLABLE_TEXT,
                                "element_name": NULLABLE_TEXT,
                                "message": TEXT,
                            },
                            required=("file", "element_id", "message"),
                        ),
                    },
                },
                required=("code", "message", "errors"),
            )
        },
        required=("error",),
    ),
    "Task": obj(
        {
            "id": {"type": "integer"},
            "instance_id": {"type": "integer"},
            "process_key": TEXT,
            "task_spec": TEXT,
            "name": TEXT,
            "title": TEXT,
            "business_key": NULLABLE_TEXT,
            "form_key": NULLABLE_TEXT,
            "assignee_id": NULLABLE_INT,
            "status": {"enum": ["open", "claimed", "completed", "cancelled"]},
            "priority": {"type": "integer"},
            "urgency": TEXT,
            "due_at": NULLABLE_STAMP,
            "created_at": STAMP,
            "claimed_at": NULLABLE_STAMP,
            "completed_at": NULLABLE_STAMP,
            "completed_by_id": NULLABLE_INT,
            "overdue": {"type": "boolean"},
        },
        required=("id", "instance_id", "process_key", "name", "status", "overdue"),
    ),
    "TaskWithForm": {
        "allOf": [
            ref("Task"),
            obj(
                {
                    "form": obj(
                        {"key": TEXT, "title": TEXT, "schema": ANY_OBJECT, "ui": ANY_OBJECT},
                        required=("key", "title", "schema", "ui"),
                    ),
                    "data": ANY_OBJECT,
                },
                required=("form", "data"),
            ),
        ]
    },
    "TaskPage": obj(
        {
            "items": {"type": "array", "items": ref("Task")},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "pages": {"type": "integer"},
        },
        required=("items", "total", "page", "per_page", "pages"),
    ),
    "Instance": obj(
        {
            "id": {"type": "integer"},
            "process_key": TEXT,
            "version_id": {"type": "integer"},
            "business_key": NULLABLE_TEXT,
            "title": TEXT,
            "status": {"enum": ["running", "suspended", "completed", "terminated", "error"]},
            "starter_id": {"type": "integer"},
            "urgency": TEXT,
            "revision": {"type": "integer"},
            "created_at": STAMP,
            "ended_at": NULLABLE_STAMP,
            "current_tasks": {"type": "array", "items": ref("Task")},
        },
        required=("id", "process_key", "status", "current_tasks"),
    ),
    "Event": obj(
        {
            "seq": {"type": "integer"},
            "at": STAMP,
            "actor_id": NULLABLE_INT,
            "kind": TEXT,
            "task_spec": NULLABLE_TEXT,
            "task_name": NULLABLE_TEXT,
            "data": ANY_OBJECT,
            "hash": TEXT,
        },
        required=("seq", "at", "kind", "data", "hash"),
    ),
    "Events": obj(
        {
            "events": {"type": "array", "items": ref("Event")},
            "chain": obj(
                {"ok": {"type": "boolean"}, "first_bad_seq": NULLABLE_INT, "message": TEXT},
                required=("ok", "first_bad_seq", "message"),
            ),
        },
        required=("events", "chain"),
    ),
    "User": obj(
        {
            "id": {"type": "integer"},
            "username": TEXT,
            "name": TEXT,
            "unit_id": {"type": "integer"},
            "unit": NULLABLE_TEXT,
            "department_id": NULLABLE_INT,
            "department": NULLABLE_TEXT,
            "position": NULLABLE_TEXT,
        },
        required=("id", "username", "name", "unit_id"),
    ),
    "Unit": obj(
        {
            "id": {"type": "integer"},
            "code": TEXT,
            "name": TEXT,
            "short_name": TEXT,
            "kind": TEXT,
            "parent_id": NULLABLE_INT,
        },
        required=("id", "code", "name"),
    ),
}

SCHEMAS["ReturnTarget"] = obj(
    {"task_spec": TEXT, "name": TEXT, "last_actor_id": NULLABLE_INT, "completed_at": STAMP},
    required=("task_spec", "name"),
)
SCHEMAS["Replay"] = obj(
    {
        "instance_id": {"type": "integer"},
        "status": {"enum": ["ok", "tampered", "diverged"]},
        "ok": {"type": "boolean"},
        "message": TEXT,
        "events_checked": {"type": "integer"},
        "divergence": {"type": ["object", "null"]},
        "skipped_kinds": {"type": "array", "items": TEXT},
    },
    required=("instance_id", "status", "ok", "message"),
)
SCHEMAS["Migration"] = obj(
    {
        "plan": obj(
            {
                "to_version_id": {"type": "integer"},
                "allowed": {"type": "boolean"},
                "instances": {"type": "array", "items": ANY_OBJECT},
            },
            required=("to_version_id", "allowed", "instances"),
        ),
        "dry_run": {"type": "boolean"},
        "migrated": {"type": "array", "items": {"type": "integer"}},
    },
    required=("plan", "dry_run", "migrated"),
)
