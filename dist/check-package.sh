#!/usr/bin/env bash
# Checks the Debian package built by dist/build.sh on this machine, as root, with dpkg
# alone (no running systemd needed), and leaves the machine as it found it:
#   lintian shows no error or warning; the man pages pass `mandoc -T lint`;
#   dpkg -i installs it and enables the service; `numkeep check` accepts the installed
#   config; with no numbers `numkeep run` idles; the installed unit passes
#   `systemd-analyze verify` and scores at most 2.0 in `systemd-analyze security`;
#   the bash completion, as bash-completion loads it, completes `numkeep st` to `status`;
#   installing the package over itself keeps an edited conffile; dpkg --purge removes the
#   config, the state and the enablement.
# Usage: dist/check-package.sh [PATH.deb]   (default: the newest target/debian/numkeep_*.deb)
# Refuses to run where numkeep is already installed: it would remove it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

max_exposure=2.0
export SYSTEMD_COLORS=0 SYSTEMD_PAGER=cat SYSTEMD_LESS=

fail() {
    printf 'check-package: FAIL: %s\n' "$*" >&2
    exit 1
}
step() {
    printf 'check-package: %s\n' "$*"
}

deb=${1:-$(ls -t target/debian/numkeep_*.deb 2>/dev/null | head -n 1)}
[[ -n $deb && -f $deb ]] || fail "no package: run dist/build.sh first"
[[ $(id -u) == 0 ]] || fail "run as root (dpkg -i)"
for tool in lintian mandoc dpkg systemd-analyze; do
    command -v "$tool" >/dev/null || fail "$tool not found (Debian: apt-get install lintian mandoc systemd)"
done
[[ -f /usr/share/bash-completion/bash_completion ]] \
    || fail "bash-completion not installed (apt-get install bash-completion)"
if dpkg-query -W -f='${Status}' numkeep 2>/dev/null | grep -q 'installed'; then
    fail "numkeep is already installed here; this check would purge it"
fi
step "$deb"

tmp=$(mktemp -d)
cleanup() {
    dpkg --purge numkeep >/dev/null 2>&1 || true
    rm -rf -- "$tmp"
}
trap cleanup EXIT

# --- lintian -----------------------------------------------------------------
# Errors and warnings fail; pedantic and informational tags are shown, not fatal.
lintian_status=0
lintian_output=$(lintian --fail-on error,warning "$deb" 2>&1) || lintian_status=$?
lintian_output=$(grep -v 'root privileges' <<<"$lintian_output" || true)
[[ -z $lintian_output ]] || printf '%s\n' "$lintian_output"
[[ $lintian_status == 0 ]] || fail "lintian reports errors or warnings (above)"
step "lintian: no error, no warning"

# --- install -----------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log" >&2; fail "dpkg -i failed"; }
[[ -x /usr/bin/numkeep ]] || fail "/usr/bin/numkeep missing"
unit=/usr/lib/systemd/system/numkeep.service
[[ -f $unit ]] || fail "$unit missing"
grep -q '^ExecStart=/usr/bin/numkeep run$' "$unit" || fail "the unit does not start /usr/bin/numkeep"
[[ -L /etc/systemd/system/multi-user.target.wants/numkeep.service ]] \
    || fail "the service is not enabled after install"
grep -qx '/etc/numkeep/config.toml' /var/lib/dpkg/info/numkeep.conffiles \
    || fail "/etc/numkeep/config.toml is not a conffile"
for file in /usr/share/doc/numkeep/examples/config.example.toml \
    /usr/share/man/man1/numkeep.1.gz /usr/share/man/man5/numkeep.toml.5.gz \
    /usr/share/bash-completion/completions/numkeep \
    /usr/share/zsh/vendor-completions/_numkeep \
    /usr/share/fish/vendor_completions.d/numkeep.fish \
    /usr/lib/systemd/system/numkeep-metrics.service \
    /usr/lib/systemd/system/numkeep-metrics.timer \
    /usr/share/doc/numkeep/examples/numkeep-alerts.yml; do
    [[ -s $file ]] || fail "$file missing or empty"
done
grep -q '^ExecStart=/usr/bin/numkeep metrics ' /usr/lib/systemd/system/numkeep-metrics.service \
    || fail "the metrics unit does not run /usr/bin/numkeep"
[[ ! -e /etc/systemd/system/timers.target.wants/numkeep-metrics.timer ]] \
    || fail "the metrics timer is enabled; it ships disabled"
step "dpkg -i: installed, enabled, every file in place (the metrics timer shipped, disabled)"

# --- the installed config and binary -------------------------------------------
numkeep check >"$tmp/check.out" 2>&1 || { cat "$tmp/check.out" >&2; fail "numkeep check failed"; }
grep -q '^/etc/numkeep/config.toml: ok (0 numbers' "$tmp/check.out" \
    || { cat "$tmp/check.out" >&2; fail "unexpected numkeep check output"; }
numkeep --config /usr/share/doc/numkeep/examples/config.example.toml check >/dev/null 2>&1 \
    || fail "the installed example config does not validate"
# With no numbers the daemon idles: still running after two seconds.
idle_status=0
STATE_DIRECTORY=$tmp/state timeout 2 numkeep run >"$tmp/run.log" 2>&1 || idle_status=$?
[[ $idle_status == 124 ]] || { cat "$tmp/run.log" >&2; fail "numkeep run exited ($idle_status) instead of idling"; }
step "numkeep check: the installed config is valid; numkeep run idles on it"

# --- man pages -----------------------------------------------------------------
for page in /usr/share/man/man1/numkeep.1.gz /usr/share/man/man5/numkeep.toml.5.gz; do
    lint=$(mandoc -T lint "$page" 2>&1) || true
    [[ -z $lint ]] || { printf '%s\n' "$lint" >&2; fail "mandoc -T lint: $page"; }
done
step "mandoc -T lint: both man pages clean"

# --- the installed unit ----------------------------------------------------------
verify_output=$(systemd-analyze verify --man=no --recursive-errors=no "$unit" 2>&1) \
    || { printf '%s\n' "$verify_output" >&2; fail "systemd-analyze verify failed"; }
ours=$(grep -i numkeep <<<"$verify_output" || true)
[[ -z $ours ]] || { printf '%s\n' "$ours" >&2; fail "systemd-analyze verify complains about the unit"; }
threshold=$(awk -v m="$max_exposure" 'BEGIN { printf "%d", m * 10 + 0.5 }')
security_output=$(systemd-analyze security --offline=true --threshold="$threshold" \
    --no-pager "$unit" 2>&1) || { printf '%s\n' "$security_output" >&2; fail "systemd-analyze security failed"; }
score=$(sed -n 's/.*Overall exposure level for numkeep\.service: \([0-9][0-9.]*\).*/\1/p' \
    <<<"$security_output")
[[ -n $score ]] || fail "no exposure level from systemd-analyze security"
awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s + 0 <= m + 0) }' \
    || fail "exposure $score is above $max_exposure"
step "installed unit: verify clean, exposure $score (at most $max_exposure)"

# --- bash completion ---------------------------------------------------------------
# Loaded the way bash-completion loads it on first use, then asked to complete `numkeep st`.
completions=$(bash --norc --noprofile -c '
    source /usr/share/bash-completion/bash_completion
    __load_completion numkeep || exit 3
    function=$(complete -p numkeep | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
    [[ -n $function ]] || exit 4
    COMP_WORDS=(numkeep st); COMP_CWORD=1; COMP_LINE="numkeep st"; COMP_POINT=${#COMP_LINE}
    "$function" numkeep st numkeep
    printf "%s\n" "${COMPREPLY[@]}"
') || fail "the bash completion did not load (status $?)"
[[ $completions == status ]] || fail "numkeep st completes to '$completions', not 'status'"
step "bash completion: numkeep st -> status"

# --- upgrade over itself, keeping an edited conffile ---------------------------------
printf '\n# edited by check-package\n' >>/etc/numkeep/config.toml
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$tmp/upgrade.log" 2>&1 \
    || { cat "$tmp/upgrade.log" >&2; fail "dpkg -i over the installed package failed"; }
grep -q '^# edited by check-package$' /etc/numkeep/config.toml \
    || fail "the upgrade overwrote the edited /etc/numkeep/config.toml"
[[ -L /etc/systemd/system/multi-user.target.wants/numkeep.service ]] \
    || fail "the service is no longer enabled after the upgrade"
step "upgrade over itself: the edited config is kept, the service still enabled"

# --- purge -------------------------------------------------------------------------
# Leave state where the service would (DynamicUser=: /var/lib/private/numkeep and a link).
mkdir -p /var/lib/private/numkeep
ln -sfn private/numkeep /var/lib/numkeep
printf '{}\n' >/var/lib/private/numkeep/state.json
dpkg --purge numkeep >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log" >&2; fail "dpkg --purge failed"; }
for path in /usr/bin/numkeep "$unit" /etc/numkeep /var/lib/numkeep /var/lib/private/numkeep \
    /etc/systemd/system/multi-user.target.wants/numkeep.service; do
    [[ ! -e $path && ! -L $path ]] || fail "$path is still there after dpkg --purge"
done
step "dpkg --purge: binary, unit, config, state and enablement gone"
step "OK"
