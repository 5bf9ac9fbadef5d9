#!/usr/bin/env bash
# The browser package's WebGPU path on a machine's real GPU, without a browser (issue 11, item 5):
# bench/webgpu_node.mjs on Dawn's Node bindings (npm `webgpu`).
#
#   bench/webgpu_node.sh prepare   here, after `make www`: installs bench/webgpu (npm ci) and
#                                  puts what a machine without a registry needs in
#                                  target/webgpu-carry/ (the webgpu package trimmed to Linux x64,
#                                  about 21 MB, and Chromium's Vulkan loader as a fallback)
#   bench/webgpu_node.sh run       there (or here): tiny, baby and small on WebGPU and on the CPU
#
# On the lent GPU machine, one call of the device tool:
#   run command: bench/webgpu_node.sh run
#   carry: www/pkg/webgpu, www/corpora/moby-dick-small.txt, target/webgpu-carry   (about 36 MB)
# Here (no GPU) it runs on SwiftShader: Chromium's Vulkan ICD (VK_ICD_FILENAMES below); Debian 12's
# lavapipe is too old for Dawn ("shaderUniform*ArrayDynamicIndexing required").
set -euo pipefail
cd "$(dirname "$0")/.."
CARRY=target/webgpu-carry
case "${1:-run}" in
  prepare)
    (cd bench/webgpu && npm ci --no-audit --no-fund --loglevel=error)
    rm -rf "$CARRY" && mkdir -p "$CARRY/webgpu/dist/linux-x64" "$CARRY/lib"
    cp bench/webgpu/node_modules/webgpu/index.js bench/webgpu/node_modules/webgpu/package.json "$CARRY/webgpu/"
    cp bench/webgpu/node_modules/webgpu/dist/linux-x64/dawn.node "$CARRY/webgpu/dist/linux-x64/"
    [ -f /usr/lib/chromium/libvulkan.so.1 ] && cp /usr/lib/chromium/libvulkan.so.1 "$CARRY/lib/"
    du -sh "$CARRY" www/pkg/webgpu
    ;;
  run)
    command -v node >/dev/null || { echo "webgpu_node.sh: node is not installed here" >&2; exit 1; }
    echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); node $(node --version)"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
    module=bench/webgpu/node_modules/webgpu
    [ -d "$module" ] || module=$CARRY/webgpu
    # The system's Vulkan loader if there is one, else the carried one.
    ldconfig -p 2>/dev/null | grep -q libvulkan.so.1 || export LD_LIBRARY_PATH=$PWD/$CARRY/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    # No GPU's Vulkan driver: SwiftShader's, from Chromium.
    if ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1 && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then
      export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/lib/chromium/vk_swiftshader_icd.json}
    fi
    WEBGPU_MODULE=$PWD/$module node bench/webgpu_node.mjs "${PRESETS:-tiny,baby,small}" "${STEPS:-20}" "${TOKENS:-50}" \
      2> >(grep -v '^Warning\|^ - \|^    at\|XDG_RUNTIME_DIR\|^$' >&2)
    ;;
  *) echo "usage: bench/webgpu_node.sh prepare|run" >&2; exit 2 ;;
esac
