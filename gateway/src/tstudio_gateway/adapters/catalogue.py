"""What the gateway publishes about its commands: the catalogue at /api/v1/commands and the
OpenAPI document at /api/v1/openapi.json, both generated from the descriptors."""

from __future__ import annotations

from typing import Any

from tstudio_gateway.adapters.contracts import Command
from tstudio_gateway.adapters.json_schema import SchemaBuilder, standalone_schema
from tstudio_gateway.adapters.proto_comments import comment
from tstudio_gateway.domain.commands import CommandTable

NDJSON = "application/x-ndjson"
SCOPES_TEXT = (
    "A token grants scopes: one per service (compiler, media, recognition, security) for its"
    " commands and its event subjects, admin for management commands, * for everything. Each"
    " operation's security requirement names the scope it needs."
)

_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "status", "message", "reason"],
            "properties": {
                "code": {"type": "string"},
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "reason": {"type": "string"},
                "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                "field_violations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"field": {"type": "string"}, "description": {"type": "string"}},
                    },
                },
                "resources": {"type": "array", "items": {"type": "object"}},
                "quota_violations": {"type": "array", "items": {"type": "object"}},
                "retry_after_seconds": {"type": "number"},
                "near_names": {"type": "array", "items": {"type": "string"}},
                "missing_scopes": {"type": "array", "items": {"type": "string"}},
            },
        }
    },
}


def aliases_by_target(table: CommandTable[Command]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for alias, target in sorted(table.aliases.items()):
        found.setdefault(target, []).append(alias)
    return found


def catalogue(table: CommandTable[Command]) -> dict[str, Any]:
    """Every command with its JSON Schemas, and the Timeline Studio names with their state."""
    by_target = aliases_by_target(table)
    commands = []
    for command in table.commands:
        commands.append(
            {
                "name": command.qualified,
                "short_name": command.name if _bare_works(table, command) else None,
                "service": command.service,
                "rpc": command.path.lstrip("/"),
                "streaming": command.server_streaming,
                "scope": command.scope,
                "aliases": by_target.get(command.qualified, []),
                "arguments": standalone_schema(command.request_type.DESCRIPTOR),
                "result": standalone_schema(command.response_type.DESCRIPTOR),
            }
        )
    aliases = {}
    for alias, target in sorted(table.aliases.items()):
        found = table.alias_target(alias)
        aliases[alias] = {
            "target": target,
            "available": found is not None,
            "scope": None if found is None else found.scope,
        }
    return {"commands": commands, "aliases": aliases}


def _bare_works(table: CommandTable[Command], command: Command) -> bool:
    try:
        return table.resolve(command.name) is command
    except Exception:
        return False


def _forbidden(scope: str | None, error_response: dict[str, Any]) -> dict[str, Any]:
    if scope is None:
        return {}
    text = f"the token has neither the {scope!r} scope nor '*' (MISSING_SCOPE; error.missing_scopes)"
    return {"403": {**error_response, "description": text}}


def openapi(table: CommandTable[Command], version: str = "0.1.0") -> dict[str, Any]:
    """An OpenAPI 3.1 document: one POST path per command and per available alias."""
    schemas = SchemaBuilder(ref_prefix="#/components/schemas/")
    error_ref = {"$ref": "#/components/schemas/Error"}
    error_response = {"description": "error", "content": {"application/json": {"schema": error_ref}}}
    paths: dict[str, Any] = {}
    by_target = aliases_by_target(table)
    for command in table.commands:
        names = [command.qualified] + [a for a in by_target.get(command.qualified, [])]
        for name in names:
            result = schemas.ref(command.response_type.DESCRIPTOR)
            content_type = NDJSON if command.server_streaming else "application/json"
            paths[f"/api/v1/invoke/{name}"] = {
                "post": {
                    "operationId": name.replace(".", "_"),
                    "summary": f"{command.path.lstrip('/')}"
                    + (" (alias)" if name != command.qualified else ""),
                    "tags": [command.service],
                    # The rpc's comment in the contract (tstudio/proto_comments.json).
                    "description": comment(command.path.lstrip("/").replace("/", ".")),
                    # OpenAPI 3.1 lets a non-OAuth scheme list the roles an operation needs.
                    "security": [{"bearer": [command.scope] if command.scope else []}],
                    "x-required-scope": command.scope,
                    "requestBody": {
                        "required": False,
                        "content": {
                            "application/json": {"schema": schemas.ref(command.request_type.DESCRIPTOR)}
                        },
                    },
                    "parameters": [
                        {
                            "name": "X-Request-Timeout",
                            "in": "header",
                            "required": False,
                            "description": "deadline in seconds, passed on to the service",
                            "schema": {"type": "number", "minimum": 0.001},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "one JSON object per line"
                            if command.server_streaming
                            else "result",
                            "content": {content_type: {"schema": result}},
                        },
                        **_forbidden(command.scope, error_response),
                        "default": error_response,
                    },
                }
            }
    paths["/healthz"] = {
        "get": {
            "operationId": "healthz",
            "security": [],
            "responses": {"200": {"description": "the gateway is up"}},
        }
    }
    paths["/api/v1/health"] = {
        "get": {
            "operationId": "health",
            "security": [],
            "responses": {"200": {"description": "each service's grpc.health.v1 status"}},
        }
    }
    paths["/api/v1/commands"] = {
        "get": {
            "operationId": "list_commands",
            "responses": {"200": {"description": "the command catalogue"}, "default": error_response},
        }
    }
    components_schemas = dict(schemas.defs)
    components_schemas["Error"] = _ERROR_SCHEMA
    return {
        "openapi": "3.1.0",
        "info": {"title": "Timeline Studio gateway", "version": version},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": components_schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": SCOPES_TEXT}},
        },
    }
