"""A child process for the crash tests: writes and rotates until the parent SIGKILLs it, or kills
itself in the middle of a rotation. Run as `python crash_worker.py MODE DATA_DIR KEY_FILE [N]`."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from tstudio_security.adapters.file_vault import EncryptedFileVault
from tstudio_security.adapters.master_keys import KeyFileMasterKey
from tstudio_security.domain.model import SecretKind, SecretRecord


def main() -> None:
    mode, data_dir, key_file = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    vault = EncryptedFileVault(data_dir, KeyFileMasterKey(key_file)).open()
    if mode == "rotate-then-die":
        kill_after = int(sys.argv[4])

        def progress(done: int, total: int) -> None:
            if done == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)

        vault.rotate(progress)
        return
    if mode == "die-before-rename":
        # The new bytes are written and fsynced to the temp file; die just before the rename.
        def replace_then_die(src: object, dst: object) -> None:
            os.kill(os.getpid(), signal.SIGKILL)

        os.replace = replace_then_die  # type: ignore[assignment]
        vault.put(SecretRecord(name=sys.argv[4], kind=SecretKind.API_KEY), "sk-new-value-never-committed")
        return
    # write-forever: announce each value before writing it so the parent knows what may be on disk.
    count = 0
    while True:
        name = f"s{count % 8}"
        value = f"sk-value-{count:08d}-padding-padding"
        print(f"writing {name} {value}", flush=True)
        vault.put(SecretRecord(name=name, kind=SecretKind.API_KEY, provider="openai"), value)
        if count % 5 == 4:
            print("rotating", flush=True)
            vault.rotate()
        count += 1


if __name__ == "__main__":
    main()
