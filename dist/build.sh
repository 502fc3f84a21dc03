#!/usr/bin/env bash
# Builds the Debian package, target/debian/numkeep_VERSION-1_ARCH.deb, and everything in
# it that is generated: the numkeep(1) page and the completions (from the clap definition,
# by the binary just built) and the unit with ExecStart=/usr/bin/numkeep (from
# systemd/numkeep.service). Generated files go to target/dist/ and are not committed, so
# they cannot drift from the code.
#
# Usage: dist/build.sh        (from any directory)
# Needs: cargo-deb (cargo install cargo-deb --locked), git for the man page's date.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    printf 'dist/build.sh: FAIL: %s\n' "$*" >&2
    exit 1
}

command -v cargo-deb >/dev/null || fail "cargo-deb not found: cargo install cargo-deb --locked"

cargo build --release --locked
binary=target/release/numkeep
out=target/dist
rm -rf "$out"
mkdir -p "$out/completions"

# The date of the last commit, not today's: the same tree gives the same package.
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH
date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)

"$binary" manpage --date "$date" >"$out/numkeep.1"
cp dist/numkeep.toml.5 "$out/numkeep.toml.5"
for page in "$out/numkeep.1" "$out/numkeep.toml.5"; do
    gzip -9n --keep "$page"
done

"$binary" completions bash >"$out/completions/numkeep"
"$binary" completions zsh >"$out/completions/_numkeep"
"$binary" completions fish >"$out/completions/numkeep.fish"

# The packaged unit is the repository's with the binary in /usr/bin, and with the header's
# hand-install steps replaced by a word about the package.
source_unit=systemd/numkeep.service
grep -q '^ExecStart=/usr/local/bin/numkeep ' "$source_unit" \
    || fail "no 'ExecStart=/usr/local/bin/numkeep ...' line in $source_unit"
sed -e 's|^ExecStart=/usr/local/bin/numkeep |ExecStart=/usr/bin/numkeep |' \
    -e '/^Description=/a\
Documentation=man:numkeep(1) man:numkeep.toml(5)' \
    -e '/^# Install:$/,/^#$/c\
# Installed by the numkeep Debian package, which enables and starts it.\
# The config is /etc/numkeep/config.toml; see numkeep(1) and numkeep.toml(5).\
#' "$source_unit" >"$out/numkeep.service"
grep -q '^ExecStart=/usr/bin/numkeep ' "$out/numkeep.service" \
    || fail "the generated unit has no ExecStart=/usr/bin/numkeep"
if grep -q '/usr/local/bin' "$out/numkeep.service"; then
    fail "the generated unit still names /usr/local/bin"
fi

# The metrics timer ships too, disabled: the same binary path, nothing else changed. Kept
# out of "$out" itself, whose units cargo-deb enables and starts.
mkdir -p "$out/units"
sed -e 's|/usr/local/bin/numkeep |/usr/bin/numkeep |' \
    systemd/numkeep-metrics.service >"$out/units/numkeep-metrics.service"
cp systemd/numkeep-metrics.timer "$out/units/numkeep-metrics.timer"
if grep -q '/usr/local/bin' "$out/units/numkeep-metrics.service"; then
    fail "the generated metrics unit still names /usr/local/bin"
fi

# Debian wants a changelog in its own format; one entry per version, pointing at the
# project's CHANGELOG.md (shipped beside it), written here so the version cannot drift.
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
maintainer=$(sed -n 's/^maintainer = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
cat >"$out/changelog" <<CHANGELOG
numkeep ($version-1) unstable; urgency=medium

  * numkeep $version; the changes are in /usr/share/doc/numkeep/changelog.gz.

 -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")
CHANGELOG
gzip -9n --stdout CHANGELOG.md >"$out/changelog.gz"

cargo deb --no-build --locked
