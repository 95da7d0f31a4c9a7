#!/usr/bin/env bash
# tests/package/run.sh: the Debian package, end to end, on this machine (as root; CI runs it
# through `tools/dev package-test`). Builds the release preset and the .deb, installs it with
# dpkg -i, checks its files, modes, owners, conffile and service user, runs the installed
# daemon as that user with the unit's own command lines until /readyz answers, reinstalls it
# (the upgrade path: database backed up, keys kept), then `dpkg -r` (data kept) and `dpkg -P`
# (data, keys and user gone). Refuses to run where the package, its user or its directories
# already exist; removes everything it made, whatever happens (EXIT trap).
# PACKAGE_PRESET=dev packages the debug build instead (quicker while working on packaging/).
set -euo pipefail
self=$(realpath "${BASH_SOURCE[0]}")
cd "$(dirname "$self")/../.."

preset=${PACKAGE_PRESET:-release}
user=enfinito
unit=/usr/lib/systemd/system/enfinitod.service
state=/var/lib/enfinitod
etc=/etc/enfinito

fail() {
  echo "package test: FAIL: $*" >&2
  exit 1
}
step() { echo "package test: $*" >&2; }

[[ $(id -u) -eq 0 ]] || { echo "package test: run as root (it installs and removes a package)" >&2; exit 2; }
for tool in dpkg dpkg-deb dpkg-shlibdeps cpack setpriv curl file sqlite3; do
  command -v "$tool" >/dev/null || { echo "package test: $tool missing (tools/dev package-test installs it)" >&2; exit 2; }
done
# The test runs in a private mount namespace whose /var/lib holds everything the real one does
# except /var/lib/enfinitod: a database there that the package did not make (a daemon run by
# hand with the default store.path) is never touched, and what the test makes there goes with
# the namespace. Package files, the dpkg database and the user are the machine's own.
# (Not an ENFINITO_ variable: the daemon and enfinitoctl refuse unknown ones.)
if [[ -z ${PACKAGE_TEST_IN_NAMESPACE:-} ]]; then
  exec env PACKAGE_TEST_IN_NAMESPACE=1 unshare --mount --propagation private -- "$self" "$@"
fi
{
  real=$(mktemp -d /tmp/enfinito-package-test-var-lib.XXXXXX)
  mount --bind /var/lib "$real"
  mount -t tmpfs -o mode=0755 enfinito-package-test /var/lib
  for entry in "$real"/* "$real"/.[!.]*; do
    name=${entry##*/}
    if [[ ! -e $entry && ! -L $entry ]] || [[ $name == "${state##*/}" ]]; then continue; fi
    if [[ -L $entry ]]; then
      cp -P "$entry" "/var/lib/$name"
      continue
    fi
    if [[ -d $entry ]]; then mkdir "/var/lib/$name"; else touch "/var/lib/$name"; fi
    mount --bind "$entry" "/var/lib/$name"
  done
  # The entries are bound on their own now: the whole-/var/lib bind goes, before anything
  # could ever delete inside it.
  umount "$real"
  rmdir "$real"
}
if dpkg-query -W -f='${Status}' enfinito 2>/dev/null | grep -qv "not-installed"; then
  echo "package test: the enfinito package is installed here; refusing to remove it" >&2
  exit 2
fi
if getent passwd "$user" >/dev/null || getent group "$user" >/dev/null || [[ -e $state || -e $etc ]]; then
  echo "package test: $user user/group, $state or $etc exists already; refusing to touch it" >&2
  exit 2
fi

work=$(mktemp -d /tmp/enfinito-package-test.XXXXXX)
chmod 0755 "$work"
daemon_pid=""
cleanup() {
  local rc=$?
  set +e  # every step of the cleanup runs, whatever one of them says
  if [[ -n $daemon_pid ]] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$daemon_pid" 2>/dev/null || true
  fi
  if dpkg-query -W -f='${Status}' enfinito 2>/dev/null | grep -qv "not-installed"; then
    dpkg -P enfinito >/dev/null 2>&1 || true
  fi
  # Whatever a failed purge left: none of it existed before the test (checked above).
  rm -rf "$state" "$etc"
  if getent passwd "$user" >/dev/null; then userdel "$user" || echo "package test: user $user left behind" >&2; fi
  if getent group "$user" >/dev/null; then groupdel "$user" || echo "package test: group $user left behind" >&2; fi
  rm -rf "$work"
  if ((rc != 0)) && [[ -f $work.log ]]; then cat "$work.log" >&2; fi
  rm -f "$work.log"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build -------------------------------------------------------------------------------
# Only what the package holds: cpack does not rebuild the whole tree (tests, benchmarks).
step "building the $preset preset and the package"
cmake --preset "$preset" -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null
cmake --build --preset "$preset" --target enfinitod enfinitoctl enfinito_default_config
version=$("build/$preset/daemon/enfinitod" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
deb=$PWD/build/$preset/enfinito_${version}_${arch}.deb
rm -f "$deb"
(cd "build/$preset" && cpack -G DEB >"$work.log" 2>&1) || fail "cpack failed"
[[ -f $deb ]] || fail "cpack made no $deb"
dpkg-deb -f "$deb" Depends | grep -q 'libc6' || fail "Depends lacks the shared libraries (shlibdeps): $(dpkg-deb -f "$deb" Depends)"
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/enfinito/enfinitod.toml "$work/control/conffiles" || fail "enfinitod.toml is not a conffile"

# --- install -----------------------------------------------------------------------------
step "dpkg -i $(basename "$deb")"
dpkg -i "$deb" >"$work.log" 2>&1 || fail "dpkg -i failed"

# path mode owner:group
expect() {
  [[ -e $1 ]] || fail "$1 missing"
  local got
  got=$(stat -c '%a %U:%G' "$1")
  [[ $got == "$2 $3" ]] || fail "$1 is $got, expected $2 $3"
}
expect /usr/bin/enfinitod 755 root:root
expect /usr/bin/enfinitoctl 755 root:root
expect "$unit" 644 root:root
expect /usr/lib/sysusers.d/enfinitod.conf 644 root:root
expect /usr/lib/tmpfiles.d/enfinitod.conf 644 root:root
expect /usr/share/doc/enfinito/README.md 644 root:root
expect "$etc" 750 root:$user
expect "$etc/enfinitod.toml" 640 root:$user
expect "$etc/credentials" 700 $user:$user
expect "$etc/credentials/vault.key" 600 $user:$user
expect "$etc/credentials/session.pepper" 600 $user:$user
expect "$state" 700 $user:$user
expect "$state/backups" 700 $user:$user
file -b /usr/bin/enfinitod | grep -q '^ELF 64-bit' || fail "enfinitod is not an ELF binary"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd "$user")
((uid < 1000)) || fail "$user is not a system user (uid $uid)"
[[ $home == "$state" && $shell == /usr/sbin/nologin ]] || fail "$user: home $home, shell $shell"
grep -q '^#listen = "127.0.0.1"$' "$etc/enfinitod.toml" || fail "the default configuration lacks its commented defaults"
key_sum=$(sha256sum "$etc/credentials/vault.key")

# --- run as the unit would ----------------------------------------------------------------
# The unit's lines, as systemd would run them: ExecStartPre then ExecStart, as User=, UMask=,
# in /, with the LoadCredential= files copied into a directory only the service user reads.
unit_line() { sed -n "s/^$1=[-@+!:]*//p" "$unit"; }
[[ $(unit_line User) == "$user" ]] || fail "the unit's User= is not $user"
cred_dir=$work/credentials
install -d -m 0700 -o "$user" -g "$user" "$cred_dir"
while IFS= read -r spec; do
  name=${spec%%:*} src=${spec#*:}
  if [[ $name == -* ]]; then
    name=${name#-}
    [[ -e $src ]] || continue
  fi
  [[ -f $src ]] || fail "LoadCredential=$spec: $src missing (systemd would not start the unit)"
  install -m 0400 -o "$user" -g "$user" "$src" "$cred_dir/$name"
done < <(sed -n 's/^LoadCredential=//p' "$unit")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Run as systemd would: as User=, with UMask=, in /, with only the unit's environment. Called
# in a subshell that execs, so $! of `as_service ... &` is the daemon itself.
as_service() {
  cd / && umask 0077 && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CREDENTIALS_DIRECTORY="$cred_dir" \
    ENFINITO_SERVER_PORT="$port" setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"
}
read -ra pre <<<"$(unit_line ExecStartPre)"
read -ra start <<<"$(unit_line ExecStart)"
[[ ${start[0]} == /usr/bin/enfinitod ]] || fail "ExecStart runs ${start[0]}, not the packaged /usr/bin/enfinitod"
step "ExecStartPre: ${pre[*]}"
(as_service "${pre[@]}") >"$work.log" 2>&1 || fail "ExecStartPre failed"
step "ExecStart: ${start[*]} (as $user, port $port)"
(as_service "${start[@]}") >"$work.log" 2>&1 &
daemon_pid=$!
ready=""
for _ in $(seq 150); do
  if curl -fsS --max-time 2 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    ready=1
    break
  fi
  kill -0 "$daemon_pid" 2>/dev/null || break
  sleep 0.2
done
[[ -n $ready ]] || fail "/readyz did not answer within 30 s"
read -r runs_as runs_cmd < <(ps -o user=,comm= -p "$daemon_pid")
[[ $runs_as == "$user" && $runs_cmd == enfinitod ]] || fail "pid $daemon_pid is $runs_cmd run by $runs_as"
expect "$state/enfinito.db" 600 $user:$user
kill -TERM "$daemon_pid"
for _ in $(seq 300); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$daemon_pid" 2>/dev/null && fail "the daemon did not stop within 30 s of SIGTERM"
wait "$daemon_pid" || fail "the daemon exited with status $? on SIGTERM"
daemon_pid=""
step "the installed daemon answered /readyz as $user and stopped on SIGTERM"

# --- upgrade (a reinstall runs the same maintainer-script path) ---------------------------
step "dpkg -i again: the upgrade path"
# Six older backups: the upgrade adds one and keeps the newest five.
for i in 0 1 2 3 4 5; do
  install -m 0600 -o "$user" -g "$user" /dev/null "$state/backups/20000101T00000${i}Z.db"
done
dpkg -i "$deb" >"$work.log" 2>&1 || fail "the second dpkg -i failed"
backup=$(find "$state/backups" -name '*.db' ! -name '20000101T*' | head -n1)
[[ -n $backup ]] || fail "no database backup in $state/backups after the upgrade"
kept=$(find "$state/backups" -name '*.db' | sort | tr '\n' ' ')
expected=""
for i in 2 3 4 5; do expected+="$state/backups/20000101T00000${i}Z.db "; done
[[ $kept == "$expected$backup " ]] ||
  fail "backups kept after the upgrade: $kept (expected the newest five)"
expect "$backup" 600 $user:$user
[[ $(sqlite3 "file:$backup?mode=ro" 'PRAGMA integrity_check') == ok ]] || fail "$backup is not a sound database"
[[ $(sha256sum "$etc/credentials/vault.key") == "$key_sum" ]] || fail "the upgrade changed the vault key"

# --- remove: data kept; purge: data gone ----------------------------------------------------
step "dpkg -r"
dpkg -r enfinito >"$work.log" 2>&1 || fail "dpkg -r failed"
[[ ! -e /usr/bin/enfinitod && ! -e $unit ]] || fail "dpkg -r left the binaries or the unit"
for kept in "$state/enfinito.db" "$backup" "$etc/enfinitod.toml" "$etc/credentials/vault.key"; do
  [[ -e $kept ]] || fail "dpkg -r removed $kept"
done
getent passwd "$user" >/dev/null || fail "dpkg -r removed the user"
step "dpkg -P"
dpkg -P enfinito >"$work.log" 2>&1 || fail "dpkg -P failed"
[[ ! -e $state && ! -e $etc ]] || fail "dpkg -P left $state or $etc"
! getent passwd "$user" >/dev/null || fail "dpkg -P left the user"
! getent group "$user" >/dev/null || fail "dpkg -P left the group"
step "PASS"
