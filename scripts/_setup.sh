# Shared by scripts/run and scripts/test: a virtual environment in .venv with the project
# installed, rebuilt only when pyproject.toml changes. Sourced, not run.

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "Aftercare needs Python 3.11 or newer (on Debian: apt-get install python3 python3-venv)." >&2
  exit 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# ensure_venv EXTRAS: install the project (with the given extras, e.g. "test") into .venv.
ensure_venv() {
  local extras="$1" spec="." stamp
  [ -n "$extras" ] && spec=".[$extras]"
  if [ ! -x .venv/bin/python ]; then
    local python
    python=$(find_python)
    if ! "$python" -m venv .venv 2>/dev/null; then
      echo "Installing Debian's python3-venv to create a virtual environment..." >&2
      as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      rm -rf .venv
      "$python" -m venv .venv
    fi
  fi
  stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras:-base}"
  if [ ! -f "$stamp" ]; then
    echo "Installing Aftercare and its dependencies into .venv..." >&2
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet --editable "$spec"
    rm -f .venv/.installed-*
    touch "$stamp"
  fi
}
