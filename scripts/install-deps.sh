#!/usr/bin/env bash
# Installs what boltrtc needs on Debian 12, from Debian's packages and the npm registry.
#   install-deps.sh          build and run: compiler, CMake, libraries, Node.js for the page
#   install-deps.sh --test   also what the tests need: Chromium, Firefox, ffmpeg, aiortc,
#                            GStreamer, libsrtp2, clang, tshark, Go and Pion (bench/loss/run_pion.sh
#                            builds its peer from them) and the tools that made the media
#                            fixtures (opus-tools, GStreamer), aioice and libnice (other ICE
#                            agents for tests/ice and bench/ice), nftables (the NAT lab's
#                            NATs, tests/nat), coturn (the TURN server and turnutils_uclient
#                            that tests/turn and bench/turn meet ours with), openssl (the
#                            command that makes coturn's TLS certificate in tests/turn),
#                            GStreamer's x264enc (-ugly: e2e_gstreamer_h264 publishes H.264),
#                            perf (linux-perf: bench/server/run_pion_cpu.sh PERF=1 profiles serve)
#   install-deps.sh --bench  also the peers the benchmarks measure beside us (GStreamer's RTP
#                            H.264 elements, libavcodec) and the encoders that remake the H.264
#                            fixtures (x264, GStreamer x264enc and openh264enc)
# Idempotent: packages already installed are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config libssl-dev libvpx-dev libturbojpeg0-dev
          libopenh264-dev libhttp-parser-dev libcjson-dev libcurl4-openssl-dev nodejs npm)
if [[ "${1:-}" == "--test" || "${1:-}" == "--bench" ]]; then
  packages+=(chromium ffmpeg python3 python3-aiortc libsrtp2-dev clang libclang-rt-14-dev
             iproute2 util-linux firefox-esr python3-numpy
             gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
             gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
             gstreamer1.0-nice python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
             gir1.2-gst-plugins-bad-1.0 python3-aiohttp
             golang-go golang-github-pion-webrtc.v3-dev curl opus-tools python3-cryptography tshark
             python3-aioice libnice-dev libusrsctp-dev nftables coturn openssl linux-perf)
fi
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-good
             gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-tools libavcodec-dev
             x264)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm may come from elsewhere than Debian's packages: accept any working ones.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  # Wait for another apt (unattended upgrades, a second build) instead of failing at once.
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    "${missing[@]}" >/dev/null
fi

# The page's TypeScript compiler and the browser drivers, pinned in package-lock.json. The
# drivers use Debian's browsers: never let puppeteer download one.
if [[ ! -d node_modules/typescript ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
