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

# Create (or reuse) the virtual environment and install the given requirement files
# with Home Assistant's own package constraints (see install_requirements).
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
    # The stamp covers the requirement files, our own pins and the install steps,
    # so a change to any of them reinstalls.
    digest="$({
        cat "$@" "$ROOT/constraints.txt"
        declare -f install_requirements
    } | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
        echo "installing $* into $VENV"
        install_requirements "$@"
        echo "$digest" >"$stamp"
    fi
}

# Install Home Assistant the way its releases are installed: first the test plugin,
# which pins homeassistant (and so its package_constraints.txt), then every
# requirement with those constraints and our own pins (constraints.txt) applied.
install_requirements() {
    local pip=("$VENV/bin/python" -m pip install --quiet)
    "$VENV/bin/python" -m pip install --quiet --upgrade pip || die "pip upgrade failed"
    local plugin
    plugin="$(grep -h -E '^pytest-homeassistant-custom-component==' "$@" | head -n 1)"
    [ -n "$plugin" ] || die "no pinned pytest-homeassistant-custom-component in $*"
    "${pip[@]}" -c "$ROOT/constraints.txt" "$plugin" || die "pip install $plugin failed"
    local ha_constraints
    ha_constraints="$("$VENV/bin/python" -c 'import homeassistant, pathlib
print(pathlib.Path(homeassistant.__file__).parent / "package_constraints.txt")')" ||
        die "homeassistant is not importable after installing $plugin"
    [ -f "$ha_constraints" ] || die "$ha_constraints is missing"
    local args=(-c "$ha_constraints" -c "$ROOT/constraints.txt")
    local file
    for file in "$@"; do args+=(-r "$file"); done
    "${pip[@]}" "${args[@]}" || die "pip install with Home Assistant's constraints failed"
}

# Install the Debian packages of the commands that are missing, without questions.
# Arguments are COMMAND:PACKAGE pairs, e.g. chromedriver:chromium-driver.
ensure_commands() {
    local missing=() pair
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 ||
        die "missing ${missing[*]}: install these packages (no apt-get on this machine)"
    local as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    echo "installing ${missing[*]} with apt-get"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
        die "apt-get update failed"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null ||
        die "apt-get install ${missing[*]} failed"
}

# Run `npm ci` in a folder with a package-lock.json when its node_modules is
# missing or older than the lock file.
ensure_node_modules() {
    local folder="$1"
    local stamp="$folder/node_modules/.package-lock.sha256"
    local digest
    digest="$(sha256sum "$folder/package-lock.json" | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
        echo "installing $folder/node_modules (npm ci)"
        npm ci --prefix "$folder" --no-audit --no-fund --loglevel=error >/dev/null ||
            die "npm ci failed in $folder"
        echo "$digest" >"$stamp"
    fi
}
