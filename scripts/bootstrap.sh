# Sourced by scripts/demo and scripts/test: makes a fresh machine ready.
# Needs only python3 (3.11+), pip, Node.js and npm, and apt-get for the Debian packages below.
# Idempotent and quick when nothing changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${EVANCHOR_VENV:-$ROOT/.venv}"

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"

# Reinstall only when the pins or the package metadata change.
stamp="$VENV/.evanchor-deps"
want="$(cat "$ROOT/constraints.txt" "$ROOT/setup.cfg" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  python -m pip install --quiet --disable-pip-version-check \
    -c "$ROOT/constraints.txt" -e "$ROOT[test,bench]"
  echo "$want" > "$stamp"
fi

# npm tools (solc, OpenZeppelin, anvil, cast), exactly as locked.
if [ -f "$ROOT/contracts/package-lock.json" ]; then
  lockstamp="$ROOT/contracts/node_modules/.evanchor-lock"
  wantlock="$(sha256sum "$ROOT/contracts/package-lock.json" | cut -d' ' -f1)"
  if [ ! -f "$lockstamp" ] || [ "$(cat "$lockstamp")" != "$wantlock" ]; then
    (cd "$ROOT/contracts" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$wantlock" > "$lockstamp"
  fi
  export PATH="$ROOT/contracts/node_modules/.bin:$PATH"
fi

# The JavaScript verifier's packages (@noble/hashes, @noble/curves; and to build and test the
# verification page, esbuild and playwright-core), exactly as locked.
jsdir="$ROOT/anchor/verify/js"
if [ -f "$jsdir/package-lock.json" ]; then
  jsstamp="$jsdir/node_modules/.evanchor-lock"
  wantjs="$(sha256sum "$jsdir/package-lock.json" | cut -d' ' -f1)"
  if [ ! -f "$jsstamp" ] || [ "$(cat "$jsstamp")" != "$wantjs" ]; then
    (cd "$jsdir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$wantjs" > "$jsstamp"
  fi
fi

# Debian packages: the fonts the evidence certificate embeds (CJK Song and Hei faces, Latin
# Liberation faces), and for the tests poppler-utils (pdftoppm, pdftotext), zbar-tools
# (zbarimg reads the certificate's QR code back) and chromium (the verification page runs in
# it headless, driven by Playwright's core library, which downloads no browser of its own).
missing=()
[ -f /usr/share/fonts/truetype/arphic/uming.ttc ] || missing+=(fonts-arphic-uming)
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
[ -f /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf ] || missing+=(fonts-liberation2)
command -v pdftoppm >/dev/null && command -v pdftotext >/dev/null || missing+=(poppler-utils)
command -v zbarimg >/dev/null || missing+=(zbar-tools)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    sudo_=""
    [ "$(id -u)" -eq 0 ] || sudo_="sudo"
    $sudo_ apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_ apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
      --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: install these Debian packages (or their equivalents): ${missing[*]}" >&2
  fi
fi
