#!/usr/bin/env bash
# Runs the Baileys WABinary bench and the criterion codec bench back to back on the same corpus and
# prints wasndr/Baileys throughput ratios. Baileys runs before and after the Rust bench; the ratio uses
# the faster of its two runs for each direction (the conservative choice on a shared machine).
#
#   bash benches/codec-compare.sh        (needs `npm ci --prefix interop` once)
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
node benches/node/codec-baileys.mjs | tee -a "$log"
cargo bench -q -p wasndr-core --bench codec -- corpus/ 2>&1 | grep -E '^corpus|thrpt' | tee -a "$log"
node benches/node/codec-baileys.mjs | tee -a "$log"
awk '
  /^encodeBinaryNode/ { v = $3; if (v > be) be = v }
  /^decodeDecompressedBinaryNode/ { v = $4; if (v > bd) bd = v }
  /^decodeBinaryNode \(async\)/ { v = $4; if (v > bd) bd = v }
  /^corpus\// { name = $1 }
  /thrpt:/ && !(name in rate) { gsub(/\[/, ""); mid = $4; unit = $5; if (unit == "GB/s") mid *= 1000; rate[name] = mid }
  END {
    printf "\nBaileys best: encode %.1f MB/s, decode %.1f MB/s\n", be, bd
    printf "wasndr encode %.1f MB/s = %.1fx Baileys (target 25x)\n", rate["corpus/encode"], rate["corpus/encode"] / be
    printf "wasndr decode %.1f MB/s = %.1fx Baileys (target 11x)\n", rate["corpus/decode"], rate["corpus/decode"] / bd
    printf "wasndr encode_into (reused buffer) %.1f MB/s = %.1fx; decode_to_owned %.1f MB/s = %.1fx\n",
      rate["corpus/encode_into_reused_buffer"], rate["corpus/encode_into_reused_buffer"] / be,
      rate["corpus/decode_to_owned"], rate["corpus/decode_to_owned"] / bd
  }' "$log"
rm -f "$log"
