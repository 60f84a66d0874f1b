#!/usr/bin/env bash
# The programs that read answers aloud (the 🔊 button, bot/voice.py): espeak-ng speaks, opusenc (opus-tools)
# encodes OGG/Opus. Installed from Debian's packages when missing; without them (no root, no apt) Guichet still
# runs, with no 🔊 button and one warning, so a failed install warns and exits 0.
set -uo pipefail
if command -v espeak-ng >/dev/null 2>&1 && command -v opusenc >/dev/null 2>&1; then
  exit 0
fi
echo "espeak-ng or opusenc is missing: installing espeak-ng and opus-tools from Debian's packages"
if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng opus-tools; } >/dev/null 2>&1; then
  exit 0
fi
echo "warning: could not install espeak-ng and opus-tools (as root: apt-get install espeak-ng opus-tools);" \
     "answers will not be read aloud" >&2
exit 0
