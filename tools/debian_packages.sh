# Sourced by tools/setup.sh and its setup.d steps: the one way they install
# Debian packages. It asks dpkg first and calls apt-get only for what is
# missing, so a set-up machine pays a few dpkg queries and nothing else.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../debian_packages.sh"
#   install_missing_debian_packages "setup(bench)" libboost-dev libzmq3-dev

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

have_debian_package() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# apt-get update at most once per script, before the first install.
apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
}

# install_missing_debian_packages LABEL PKG...: installs those not installed.
install_missing_debian_packages() {
  local label="$1" pkg
  shift
  local missing=()
  for pkg in "$@"; do
    have_debian_package "$pkg" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "$label: installing Debian packages: ${missing[*]}"
    apt_update_once
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}
