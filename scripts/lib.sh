# Shared helpers for the scripts in this folder; source it, do not run it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HOIIO_VENV:-$ROOT/.venv}"

die() {
    echo "error: $*" >&2
    exit 1
}

# Print the path of a Python >= 3.13 that really runs, or fail with advice.
find_python() {
    local candidates=()
    [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
    if command -v pyenv >/dev/null 2>&1; then
        local pyenv_root
        pyenv_root="$(pyenv root)"
        local version
        for version in "$pyenv_root"/versions/3.1[3-9]*; do
            [ -x "$version/bin/python3" ] && candidates+=("$version/bin/python3")
        done
    fi
    candidates+=(/usr/bin/python3.14 /usr/bin/python3.13 /usr/local/bin/python3.14
        /usr/local/bin/python3.13 python3.14 python3.13 python3)
    local candidate
    for candidate in "${candidates[@]}"; do
        if "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 13))' \
            >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    die "no working Python >= 3.13 found (tried: ${candidates[*]}).
Install one: on Debian 13 'apt-get install python3.13 python3.13-venv';
on Debian 12 'pyenv install 3.13.0'; or set PYTHON=/path/to/python3.13."
}

# Create (or reuse) the virtual environment and install the given requirement files.
ensure_venv() {
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 13))' 2>/dev/null; then
        local python
        python="$(find_python)"
        echo "creating $VENV with $python ($("$python" -V 2>&1))"
        rm -rf "$VENV"
        "$python" -m venv "$VENV" || die "could not create a venv with $python"
    fi
    local stamp="$VENV/.requirements.sha256"
    local digest
    digest="$(cat "$@" | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
        echo "installing $* into $VENV"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip || die "pip upgrade failed"
        local args=()
        local file
        for file in "$@"; do args+=(-r "$file"); done
        "$VENV/bin/python" -m pip install --quiet "${args[@]}" || die "pip install failed"
        echo "$digest" >"$stamp"
    fi
}
