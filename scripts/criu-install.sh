#!/usr/bin/env bash
# A CRIU that really checkpoints on this node (issue 13), run by `./vz install|up|test`.
# Debian 12's criu 3.17 fails `criu check` on newer kernels; then CRIU is built from Debian
# unstable's source tarball (fetched and hash-checked by apt, verified again against the .dsc),
# installed under $PREFIX (never over the packaged one) and cached, so a second run is offline
# and instant. Never fatal: a node without a working CRIU still runs VEs (two-pass migration).
set -euo pipefail

PREFIX=${VZ_CRIU_PREFIX:-/usr/local/lib/vzpanel/criu}
CACHE=${VZ_CRIU_CACHE:-/var/cache/vzpanel/criu}
SUITE=${VZ_CRIU_SUITE:-sid}
MIRROR=${VZ_CRIU_MIRROR:-http://deb.debian.org/debian}
BUILD_DEPS=(gcc make pkg-config libprotobuf-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler python3-protobuf
  libnl-3-dev libnet1-dev libcap-dev libbsd-dev libgnutls28-dev libnftables-dev uuid-dev libaio-dev)

log() { printf '[vz criu] %s\n' "$*" >&2; }

# The self-test: `criu check`, then a real dump and restore of a throwaway process (a passing
# check alone is not enough: 4.1.1 checks fine here and then hangs in the dump).
criu_works() {
  local bin=$1 dir pid ok=1
  timeout 60 "$bin" check >/dev/null 2>&1 || { log "$bin: criu check fails"; return 1; }
  dir=$(mktemp -d /var/tmp/vz-criu-selftest.XXXXXX)
  # Its own session: CRIU refuses a process whose session leader it cannot dump with it.
  # (started from a subshell, so it is not our job: init reaps it and bash prints no "Killed")
  pid=$(setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $!)
  if timeout 60 "$bin" dump -t "$pid" -D "$dir" -o dump.log >/dev/null 2>&1; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if timeout 60 "$bin" restore -D "$dir" -d -o restore.log >/dev/null 2>&1 && kill -0 "$pid" 2>/dev/null; then ok=0
    else log "$bin: restore of a test process fails: $(tail -n 3 "$dir/restore.log" 2>/dev/null | tr '\n' ' ')"; fi
  else
    log "$bin: dump of a test process fails: $(tail -n 3 "$dir/dump.log" 2>/dev/null | tr '\n' ' ')"
  fi
  kill -9 "$pid" 2>/dev/null || true
  rm -rf "$dir"
  return $ok
}

apt_private() {
  # A private apt state with only the deb-src line: the admin's sources and lists stay as they are.
  apt-get -o Dir::Etc::SourceList="$CACHE/apt/sources.list" -o Dir::Etc::SourceParts=- \
    -o Dir::State::Lists="$CACHE/apt/lists" -o Dir::Cache="$CACHE/apt/cache" -o APT::Get::List-Cleanup=0 "$@"
}

# Prints the path of the verified orig tarball in $CACHE/src (downloads it the first time).
fetch_source() {
  local dsc orig want got
  dsc=$(ls "$CACHE"/src/criu_*.dsc 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$dsc" ]; then
    log "fetching CRIU's source from Debian $SUITE through apt"
    mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" "$CACHE/src"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" > "$CACHE/apt/sources.list"
    apt_private -qq update >&2
    # The .debian.tar.xz may be missing on the mirror; the .dsc and the orig tarball are all we build from.
    (cd "$CACHE/src" && apt_private -qq source --download-only criu >&2) || true
    dsc=$(ls "$CACHE"/src/criu_*.dsc 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$dsc" ] || { log "apt could not fetch criu's .dsc from $SUITE"; return 1; }
  fi
  orig=$(awk '/^Checksums-Sha256:/{f=1;next} /^[^ ]/{f=0} f && $3 ~ /\.orig\.tar\./{print $3; exit}' "$dsc")
  want=$(awk '/^Checksums-Sha256:/{f=1;next} /^[^ ]/{f=0} f && $3 ~ /\.orig\.tar\./{print $1; exit}' "$dsc")
  [ -n "$orig" ] && [ -f "$CACHE/src/$orig" ] || { log "the orig tarball named in $dsc is missing"; return 1; }
  got=$(sha256sum "$CACHE/src/$orig" | cut -d' ' -f1)
  [ "$got" = "$want" ] || { log "$orig: sha256 $got does not match the .dsc ($want); removing it"; rm -f "$CACHE/src/$orig" "$dsc"; return 1; }
  echo "$CACHE/src/$orig"
}

build_criu() {
  local orig=$1 ver dir missing=()
  ver=$(basename "$orig" | sed -E 's/^criu_(.*)\.orig\.tar\..*/\1/')
  dir="$CACHE/build/criu-$ver"
  if [ ! -x "$dir/criu/criu" ]; then
    for p in "${BUILD_DEPS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
      log "installing CRIU's build dependencies: ${missing[*]}"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    log "building CRIU $ver (about a minute; once)"
    rm -rf "$dir" && mkdir -p "$CACHE/build"
    tar -C "$CACHE/build" -xf "$orig"
    make -C "$dir" -j"$(nproc)" criu >"$CACHE/build/criu-$ver.log" 2>&1 || { log "make criu failed: see $CACHE/build/criu-$ver.log"; return 1; }
  fi
  install -D -m 0755 "$dir/criu/criu" "$PREFIX/sbin/criu.new"
  mv -f "$PREFIX/sbin/criu.new" "$PREFIX/sbin/criu"
}

# The idmapped-mount helper a VE restore needs (Debian 12's mount(8) has no X-mount.idmap yet).
idmap_helper() {
  local src; src="$(dirname "$(readlink -f "$0")")/vz-idmap-mount.c"
  [ -x "$PREFIX/sbin/vz-idmap-mount" ] && [ "$PREFIX/sbin/vz-idmap-mount" -nt "$src" ] && return 0
  command -v gcc >/dev/null || return 0
  mkdir -p "$PREFIX/sbin"
  gcc -O2 -Wall -o "$PREFIX/sbin/vz-idmap-mount.new" "$src" && mv -f "$PREFIX/sbin/vz-idmap-mount.new" "$PREFIX/sbin/vz-idmap-mount"
}

main() {
  [ "$(id -u)" = 0 ] || { log "needs root"; exit 1; }
  trap idmap_helper EXIT
  local stamp="$CACHE/installed" key orig
  key="$(uname -r) $(sha256sum "$PREFIX/sbin/criu" 2>/dev/null | cut -d' ' -f1 || true)"
  # A build that passed its self-test on this kernel: nothing to do (the offline, instant case).
  if [ -x "$PREFIX/sbin/criu" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then return 0; fi
  local pkg; pkg=$(command -v criu || true)
  if [ -n "$pkg" ] && [ "$(cat "$CACHE/packaged-ok" 2>/dev/null)" = "$(uname -r) $(sha256sum "$pkg" | cut -d' ' -f1)" ]; then return 0; fi
  mkdir -p "$CACHE"
  if [ -n "$pkg" ] && [ "$pkg" != "$PREFIX/sbin/criu" ] && criu_works "$pkg"; then
    log "the packaged $pkg works ($("$pkg" --version | head -n 1))"
    echo "$(uname -r) $(sha256sum "$pkg" | cut -d' ' -f1)" > "$CACHE/packaged-ok"
    return 0
  fi
  orig=$(fetch_source) || { log "no CRIU source: checkpoints stay off on this node"; return 0; }
  build_criu "$orig" || { log "no CRIU build: checkpoints stay off on this node"; return 0; }
  if criu_works "$PREFIX/sbin/criu"; then
    echo "$(uname -r) $(sha256sum "$PREFIX/sbin/criu" | cut -d' ' -f1)" > "$stamp"
    log "$("$PREFIX/sbin/criu" --version | head -n 1 | sed 's/Version: /CRIU /') installed in $PREFIX/sbin: check, dump and restore work"
  else
    log "$PREFIX/sbin/criu was built but fails its self-test: the agent reports why; checkpoints stay off"
  fi
}

main "$@"
