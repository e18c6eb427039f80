#!/usr/bin/env bash
# Make sure Debian's chromium, its chromedriver and a CJK font are installed, for the web-view test
# (tests/test_browse.py drives /usr/bin/chromium through /usr/bin/chromedriver; nothing is downloaded
# by the test itself).
#
#   scripts/ensure-chromium.sh
#
# Installs the Debian packages when they are missing and we are root (as in CI). Where that cannot be
# done it says so and exits 0 (the browser test then skips with the reason), except under CI=true,
# where that is an error: CI must run the browser test.
set -uo pipefail

PACKAGES=(chromium chromium-driver fonts-wqy-microhei)

missing() {
  local fonts
  fonts=$(fc-list 2>/dev/null)  # not piped into grep -q: with pipefail, fc-list's SIGPIPE would fail the test
  [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && grep -qi "wqy\|noto sans cjk" <<<"$fonts" && return 1
  return 0
}

give_up() {
  echo "ensure-chromium: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "ensure-chromium: the web-view browser test will be skipped" >&2
  exit 0
}

missing || exit 0
[ "$(id -u)" = "0" ] || give_up "chromium/chromedriver/CJK font missing and not root: apt-get install ${PACKAGES[*]}"
command -v apt-get >/dev/null || give_up "no apt-get to install ${PACKAGES[*]}"
echo "ensure-chromium: installing Debian's ${PACKAGES[*]}" >&2
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PACKAGES[@]}" >/dev/null) \
  || give_up "apt-get install ${PACKAGES[*]} failed"
missing && give_up "chromium still missing after apt-get install"
exit 0
