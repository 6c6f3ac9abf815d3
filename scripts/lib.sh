# Shared by the scripts: where caches live, and small helpers.
# Build artefacts and the test venv live outside the clone when a cache dir exists
# (CI reuses them between runs); a fresh machine simply builds them.
export WUSE_CACHE="${WUSE_CACHE:-$HOME/.cache/whatsapp-use-dev}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$WUSE_CACHE/target}"
export VENV="${VENV:-$WUSE_CACHE/venv}"
mkdir -p "$WUSE_CACHE"
[ -f "$HOME/.cargo/env" ] && source "$HOME/.cargo/env"

step() { printf '\n\033[1;36m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
