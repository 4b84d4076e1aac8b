#!/usr/bin/env sh
# The open3d wheel links libusb-1.0 (SPEC §2). Install it with apt-get when it is missing and we may;
# stay quiet when it is already there.
if ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0'; then
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "whsim set-up: libusb-1.0 is missing and this user cannot install it; run: sudo apt-get install libusb-1.0-0" >&2
  exit 2
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "whsim set-up: libusb-1.0 is missing and apt-get is not available; install libusb-1.0 with your package manager" >&2
  exit 2
fi
echo "whsim set-up: installing libusb-1.0-0 (needed by open3d)"
$SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libusb-1.0-0 >/dev/null
