"""Build the C example plugins to .wasm with the zig toolchain from PyPI (`ziglang`).

    .venv/bin/python plugins/examples/build.py          # every example with a .c file
    .venv/bin/python plugins/examples/build.py blur     # just one

The built .wasm files are committed, so tests and the service never need zig.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLAGS = [
    "--target=wasm32-freestanding",
    "-nostdlib",
    "-O2",
    "-msimd128",
    "-Wall",
    "-Werror",
    "-Wl,--no-entry",
    "-Wl,--export-dynamic",
    "-Wl,-z,stack-size=65536",
    f"-I{HERE / 'include'}",
]


def build(example: Path) -> Path:
    sources = sorted(example.glob("*.c"))
    output = example / f"{example.name}.wasm"
    command = [sys.executable, "-m", "ziglang", "cc", *FLAGS, "-o", str(output), *map(str, sources)]
    subprocess.run(command, check=True)
    return output


def main(argv: list[str]) -> int:
    names = argv or sorted(p.name for p in HERE.iterdir() if p.is_dir() and any(p.glob("*.c")))
    for name in names:
        output = build(HERE / name)
        sys.stdout.write(f"built {output.relative_to(HERE.parent.parent)} ({output.stat().st_size} bytes)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
