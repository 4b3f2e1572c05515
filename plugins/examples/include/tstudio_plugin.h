/* Timeline Studio plugin ABI v1 for C (see docs/plugins.md).
 * Compile with: python -m ziglang cc --target=wasm32-freestanding -nostdlib -O2 -msimd128
 *   -Wl,--no-entry -Wl,--export-dynamic -Wl,-z,stack-size=65536 -I plugins/examples/include ...
 * Include this header in exactly one .c file: it defines the exported allocator and abi_version. */
#ifndef TSTUDIO_PLUGIN_H
#define TSTUDIO_PLUGIN_H

#include <stdint.h>

#define TS_EXPORT(name) __attribute__((export_name(name)))
#define TS_IMPORT(name) __attribute__((import_module("tstudio"), import_name(name)))

/* Host API: a line in the compiler's log (rate-limited), and failing the call with a message. */
TS_IMPORT("log") void ts_log(const char *text, int32_t len);
TS_IMPORT("abort") void ts_abort(const char *text, int32_t len);

TS_EXPORT("abi_version") int32_t abi_version(void) { return 1; }

extern unsigned char __heap_base;
static uintptr_t ts_heap_top;

/* Bump allocator: the host allocates its frame and params buffers once per instance and never frees,
 * so nothing more is needed. Returns 0 when the memory ceiling stops the memory from growing. */
TS_EXPORT("alloc") uint32_t ts_alloc(uint32_t size) {
    if (!ts_heap_top) ts_heap_top = (uintptr_t)&__heap_base;
    uintptr_t ptr = (ts_heap_top + 15u) & ~(uintptr_t)15u;
    uintptr_t end = ptr + size;
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
    if (end < ptr) return 0;
    if (end > have) {
        uintptr_t pages = (end - have + 65535u) / 65536u;
        if (__builtin_wasm_memory_grow(0, pages) == (uintptr_t)-1) return 0;
    }
    ts_heap_top = end;
    return (uint32_t)ptr;
}

/* Params arrive as one little-endian f64 per manifest param, in manifest order. */
static inline double ts_param(const double *params, int32_t len, int index, double fallback) {
    return (index + 1) * 8 <= len ? params[index] : fallback;
}

#endif
