#!/bin/sh
# Installs Debian's chromium for the dashboard's browser test, and a CJK font so its
# screenshots show Chinese (not empty boxes), once; does nothing when both are there.
# Never downloads Playwright's browsers.
set -eu
if [ -x /usr/bin/chromium ] && [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei
