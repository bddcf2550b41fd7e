#!/bin/sh
# Test setup for the headless-browser check of the HTML report: Chromium and a CJK font
# from the system packages (Debian/Ubuntu). Run as root; the test calls it when needed.
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium-headless-shell fonts-wqy-microhei \
  || apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei
