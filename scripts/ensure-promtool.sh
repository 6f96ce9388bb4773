#!/bin/sh
# Installs Debian's prometheus package (for promtool, which tests the alert rules),
# once; does nothing when promtool is already on the PATH.
set -eu
if command -v promtool >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus
