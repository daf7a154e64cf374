#!/bin/sh
# Install the Debian packages given as arguments that are not installed yet.
set -e
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "warden: missing Debian packages:$missing; run as root (sudo make ...) or apt-get install them" >&2
	exit 1
fi
echo "warden: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
