// Baileys 7 WABinary throughput on the same corpus as benches/codec.rs (every case of
// testdata/vectors/binary-node.json with a full `hex`), in MB/s (decimal) of wire bytes.
//
//   npm ci --prefix interop && node benches/node/codec-baileys.mjs
//
// encode: encodeBinaryNode(node) for every corpus node (nodes as Baileys takes them: string attributes,
//         Buffer/array/string content). Bytes counted = Baileys' own output length.
// decode: decodeDecompressedBinaryNode on the payload after its flags byte (synchronous, the pure
//         decoder) and, for reference, the async decodeBinaryNode that Baileys' socket calls.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const wabinary = await import(join(root, 'interop/node_modules/baileys/lib/WABinary/index.js'))
const constants = await import(join(root, 'interop/node_modules/baileys/lib/WABinary/constants.js'))
const { encodeBinaryNode, decodeBinaryNode, decodeDecompressedBinaryNode } = wabinary

const vectors = JSON.parse(readFileSync(join(root, 'testdata/vectors/binary-node.json'), 'utf8'))
const cases = vectors.cases.filter(c => typeof c.hex === 'string')
if (cases.length !== 72) throw new Error(`expected 72 corpus cases, got ${cases.length}`)

const toBaileysNode = json => {
  const node = { tag: json.tag, attrs: { ...json.attrs } }
  const c = json.content
  if (c === null) node.content = undefined
  else if (c.nodes) node.content = c.nodes.map(toBaileysNode)
  else if (c.bytes !== undefined) node.content = Buffer.from(c.bytes, 'hex')
  else if (c.text !== undefined) node.content = c.text
  else throw new Error('unexpected content ' + JSON.stringify(c))
  return node
}

const nodes = cases.map(c => toBaileysNode(c.node))
const payloads = cases.map(c => Buffer.from(c.hex, 'hex'))
const bodies = payloads.map(p => p.subarray(1))
const encodedBytes = nodes.reduce((n, node) => n + encodeBinaryNode(node).length, 0)
const wireBytes = payloads.reduce((n, p) => n + p.length, 0)

// Sanity: Baileys reproduces its own vectors.
cases.forEach((c, i) => {
  if (encodeBinaryNode(nodes[i]).toString('hex') !== c.hex) throw new Error('encode mismatch ' + c.name)
})

let sink = 0
const measure = (label, bytesPerPass, pass, seconds = 3, rounds = 5) => {
  const warmEnd = process.hrtime.bigint() + 1_000_000_000n
  while (process.hrtime.bigint() < warmEnd) pass()
  const rates = []
  for (let r = 0; r < rounds; r++) {
    let passes = 0
    const start = process.hrtime.bigint()
    const end = start + BigInt(Math.round(seconds * 1e9))
    let now = start
    while (now < end) {
      for (let k = 0; k < 20; k++) pass()
      passes += 20
      now = process.hrtime.bigint()
    }
    rates.push((bytesPerPass * passes) / (Number(now - start) / 1e9) / 1e6)
  }
  rates.sort((a, b) => a - b)
  console.log(`${label.padEnd(34)} median ${rates[2].toFixed(1).padStart(7)} MB/s  (rounds: ${rates.map(r => r.toFixed(1)).join(', ')})`)
  return rates[2]
}

const measureAsync = async (label, bytesPerPass, pass, seconds = 3, rounds = 5) => {
  const warmEnd = process.hrtime.bigint() + 1_000_000_000n
  while (process.hrtime.bigint() < warmEnd) await pass()
  const rates = []
  for (let r = 0; r < rounds; r++) {
    let passes = 0
    const start = process.hrtime.bigint()
    const end = start + BigInt(Math.round(seconds * 1e9))
    let now = start
    while (now < end) {
      await pass()
      passes++
      now = process.hrtime.bigint()
    }
    rates.push((bytesPerPass * passes) / (Number(now - start) / 1e9) / 1e6)
  }
  rates.sort((a, b) => a - b)
  console.log(`${label.padEnd(34)} median ${rates[2].toFixed(1).padStart(7)} MB/s  (rounds: ${rates.map(r => r.toFixed(1)).join(', ')})`)
}

console.log(`Baileys ${JSON.parse(readFileSync(join(root, 'interop/node_modules/baileys/package.json'), 'utf8')).version}, node ${process.version}, ${cases.length} cases, ${encodedBytes} bytes encoded / ${wireBytes} bytes decoded per pass`)
measure('encodeBinaryNode', encodedBytes, () => { for (const n of nodes) sink += encodeBinaryNode(n).length })
measure('decodeDecompressedBinaryNode (sync)', wireBytes, () => {
  for (const b of bodies) sink += decodeDecompressedBinaryNode(b, constants, { index: 0 }).tag.length
})
await measureAsync('decodeBinaryNode (async)', wireBytes, async () => {
  for (const p of payloads) sink += (await decodeBinaryNode(p)).tag.length
})
if (sink === 0) console.log('')
