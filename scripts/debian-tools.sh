#!/usr/bin/env bash
# Installs the Debian packages named by COMMAND=PACKAGE pairs whose command is missing, when this
# is a Debian machine where we may (root, or passwordless sudo). Otherwise it says what is missing
# and which tests or benchmarks will skip that baseline; it never fails the build.
set -u
missing=()
for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null 2>&1 || missing+=("${pair#*=}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "note: not installed (no apt-get): ${missing[*]} — the parts that need them will be skipped" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        echo "note: run 'sudo apt-get install ${missing[*]}' to enable the parts that need them" >&2
        exit 0
    fi
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { $SUDO apt-get update -qq >/dev/null 2>&1 && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } \
    || echo "note: could not install ${missing[*]} — the parts that need them will be skipped" >&2
exit 0
