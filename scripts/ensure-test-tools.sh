#!/usr/bin/env bash
# Installs the Debian tools the test suite drives for real (BIND, Unbound,
# dnsmasq, a Docker registry, skopeo, HAProxy, nginx with its stream module,
# iproute2 for the tests' own network namespaces, Graphviz, htpasswd), so `npm test` works
# on a fresh Debian machine as written. Does nothing when they are present.
set -euo pipefail

declare -A need=(
  [named-checkzone]=bind9-utils
  [named]=bind9
  [dig]=bind9-dnsutils
  [unbound]=unbound
  [unbound-checkconf]=unbound
  [dnsmasq]=dnsmasq
  [docker-registry]=docker-registry
  [skopeo]=skopeo
  [dot]=graphviz
  [htpasswd]=apache2-utils
  [openssl]=openssl
  [haproxy]=haproxy
  [nginx]=nginx
  [ip]=iproute2
)

missing=()
for cmd in "${!need[@]}"; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
# nginx's stream module (ssl_preread) is a separate package on Debian.
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || missing+=(libnginx-mod-stream)
[ ${#missing[@]} -eq 0 ] && exit 0

mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-tools: missing ${pkgs[*]} and no apt-get here; install them by hand" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "ensure-test-tools: installing ${pkgs[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Packages ship services; a test starts its own servers on loopback, so keep
# the package scripts from starting the system ones.
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && created_policy=1
fi
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
[ -n "$created_policy" ] && $sudo rm -f "$policy"
exit 0
