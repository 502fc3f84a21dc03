#!/usr/bin/env bash
# Checks systemd/numkeep.service with systemd-analyze alone (no running systemd needed):
#   1. `systemd-analyze verify` says nothing about the unit and exits 0;
#   2. `systemd-analyze security --offline=true` rates its exposure at most 2.0.
# Usage: systemd/check-unit.sh   (from any directory; exit 0 when both pass)
#
# verify checks that every Exec*= command exists, and /usr/local/bin/numkeep is not
# installed on a build machine. So verify runs on a copy of the unit in a temporary
# directory whose only change is that ExecStart= names an empty stub script instead;
# every other line is checked as shipped. (`verify --root=DIR` would check the file
# unchanged, but then needs a whole systemd tree under DIR: it fails on a missing
# sysinit.target.) security does not look at the binary and runs on the file itself.
set -euo pipefail

max_exposure=2.0
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
unit=$here/numkeep.service
binary=/usr/local/bin/numkeep

# Plain output whatever the terminal: no colours, no pager.
export SYSTEMD_COLORS=0 SYSTEMD_PAGER=cat SYSTEMD_LESS=

fail() {
    printf 'check-unit: FAIL: %s\n' "$*" >&2
    exit 1
}

command -v systemd-analyze >/dev/null \
    || fail "systemd-analyze not found (Debian: apt-get install systemd)"
[[ -f $unit ]] || fail "$unit not found"
printf 'check-unit: %s\n' "$(systemd-analyze --version | head -n 1)"

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# --- 1. verify ---------------------------------------------------------------
mkdir "$tmp/bin"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/numkeep"
chmod 0755 "$tmp/bin/numkeep"

starts=$(grep -c "^ExecStart=$binary " "$unit" || true)
[[ $starts == 1 ]] \
    || fail "expected exactly one 'ExecStart=$binary ...' line in $unit, found $starts"
sed "s|^ExecStart=$binary |ExecStart=$tmp/bin/numkeep |" "$unit" >"$tmp/numkeep.service"

# ExecReload= uses /bin/kill (Debian package procps, priority important, not always
# in minimal images). Stub it too when absent, and say so.
if [[ ! -x /bin/kill ]]; then
    printf 'check-unit: note: /bin/kill is missing here (install procps); ExecReload= checked with a stub\n'
    sed -i "s|^ExecReload=/bin/kill |ExecReload=$tmp/bin/numkeep |" "$tmp/numkeep.service"
fi

verify_status=0
verify_output=$(systemd-analyze verify --man=no --recursive-errors=no \
    "$tmp/numkeep.service" 2>&1) || verify_status=$?

# Lines about other units (a broken unit elsewhere on the host) are shown, not fatal.
ours=$(grep -i 'numkeep' <<<"$verify_output" || true)
others=$(grep -iv 'numkeep' <<<"$verify_output" || true)
if [[ -n $others ]]; then
    printf 'check-unit: note: systemd-analyze verify said, about other units:\n%s\n' "$others"
fi
if [[ -n $ours ]]; then
    printf '%s\n' "$ours" >&2
    fail "systemd-analyze verify complains about numkeep.service (lines above)"
fi
[[ $verify_status == 0 ]] || fail "systemd-analyze verify exited with status $verify_status"
printf 'check-unit: verify: clean\n'

# --- 2. security -------------------------------------------------------------
# --threshold counts in tenths: 20 means an exposure of 2.0.
threshold=$(awk -v m="$max_exposure" 'BEGIN { printf "%d", m * 10 + 0.5 }')
security_status=0
security_output=$(systemd-analyze security --offline=true --threshold="$threshold" \
    --no-pager "$unit" 2>&1) || security_status=$?

score=$(sed -n 's/.*Overall exposure level for numkeep\.service: \([0-9][0-9.]*\).*/\1/p' \
    <<<"$security_output")
if [[ -z $score ]]; then
    printf '%s\n' "$security_output" >&2
    fail "no 'Overall exposure level' in the output of systemd-analyze security"
fi

# What still counts against the unit, for the log (✗ in UTF-8 output, - in ASCII).
printf 'check-unit: security: exposure comes from:\n'
grep -E '^(✗|-) ' <<<"$security_output" | sed -E 's/^(✗|-) +/  /; s/ {2,}/  /g' || true

if ! awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s + 0 <= m + 0) }'; then
    fail "exposure $score is above $max_exposure"
fi
[[ $security_status == 0 ]] \
    || fail "systemd-analyze security exited with status $security_status (threshold $threshold)"
printf 'check-unit: security: overall exposure %s (at most %s allowed)\n' "$score" "$max_exposure"
printf 'check-unit: OK\n'
