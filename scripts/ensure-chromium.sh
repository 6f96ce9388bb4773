#!/bin/sh
# Installs Debian's chromium for the dashboard's browser test, once; does nothing
# when /usr/bin/chromium is already there. Never downloads Playwright's browsers.
set -eu
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
