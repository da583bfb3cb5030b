#!/usr/bin/env bash
# Run a command under another Node.js major version, fetched from the npm registry (the node-<os>-<arch>
# packages that the `node` package itself installs), so CI can test a second LTS line with nothing
# but npm. The build is cached per major version.
#
#   scripts/with-node.sh 24 npm test
#
# Environment: WITH_NODE_CACHE (default ~/.cache/blueprints).
set -euo pipefail

major=${1:?usage: scripts/with-node.sh <major> <command...>}
shift
[[ $major =~ ^[0-9]+$ ]] || { echo "with-node.sh: major version must be a number, got '$major'" >&2; exit 2; }
(($# > 0)) || { echo 'with-node.sh: no command given' >&2; exit 2; }

case $(uname -m) in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "with-node.sh: no Node.js package for $(uname -m)" >&2; exit 1 ;;
esac
os=$(uname -s | tr '[:upper:]' '[:lower:]')
pkg="node-$os-$arch"
dir="${WITH_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/blueprints}/node-$major"
bin="$dir/node_modules/$pkg/bin"

if [[ ! -x $bin/node ]] || [[ $("$bin/node" --version) != v$major.* ]]; then
  mkdir -p "$dir"
  echo "with-node.sh: installing $pkg@$major" >&2
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund "$pkg@$major" >&2
fi

export PATH="$bin:$PATH"
echo "with-node.sh: node $(node --version)" >&2
exec "$@"
