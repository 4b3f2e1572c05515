"""The Timeline Studio frontend's commands, argument and result shapes, and events.

The frontend speaks Tauri IPC (`invoke(name, args)`, `listen(event)`); this package is the one place
that knows its shapes (camelCase top level, some nested snake_case, `number[]` for bytes, bare
arrays, TS enum strings). Each module covers one command group and calls our own RPCs; the contracts
stay ours. `registry.TauriCommands` is what the HTTP and WebSocket doors consult first.
"""
