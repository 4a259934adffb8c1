# shellcheck shell=bash
# Chromium and the browser driver for the HTML report test (tests/evidence_browser.rs).
# Sourced by scripts/test.sh (so: no `exit`, only `return`); idempotent; safe to run alone:
#   source scripts/setup.d/30-chromium.sh
#
# - Installs Debian's chromium package when /usr/bin/chromium is missing (CI and the dev
#   machine run as root; elsewhere it says what to do instead).
# - Installs the pinned driver (playwright-core, tests/browser/package-lock.json) with
#   `npm ci`, only when the lock file changed since the last install.
# - Exports NOBASTION_CHROMIUM (the browser) and NOBASTION_BROWSER_DRIVER (the script).

_nb_chromium_setup() {
    local root browser_dir stamp want have
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    browser_dir="$root/tests/browser"

    if [ ! -x /usr/bin/chromium ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "setup: installing chromium (Debian package)" >&2
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                chromium fonts-dejavu-core >&2 || return 1
        else
            echo "setup: /usr/bin/chromium is missing; install Debian's chromium package (as root: apt-get install chromium) for the report rendering test" >&2
        fi
    fi

    if ! command -v npm >/dev/null 2>&1; then
        echo "setup: npm is missing; the report rendering test needs Node.js and npm" >&2
        return 0
    fi
    stamp="$browser_dir/node_modules/.nobastion-lock.sha256"
    want="$(sha256sum "$browser_dir/package-lock.json" | cut -d' ' -f1)"
    have="$(cat "$stamp" 2>/dev/null || true)"
    if [ "$want" != "$have" ] || [ ! -d "$browser_dir/node_modules/playwright-core" ]; then
        echo "setup: npm ci in tests/browser" >&2
        (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error >&2) || return 1
        echo "$want" >"$stamp"
    fi

    export NOBASTION_CHROMIUM=/usr/bin/chromium
    export NOBASTION_BROWSER_DRIVER="$browser_dir/render.mjs"
}

_nb_chromium_setup || { echo "setup: 30-chromium.sh failed" >&2; return 1 2>/dev/null || exit 1; }
unset -f _nb_chromium_setup
