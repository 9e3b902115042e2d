/**
 * Crypto wallet addresses, rule set v1 (used by payment.ts for
 * `wallet:<chain>:<address>`).
 *
 * | chain                                   | address rule                                   | canonical          |
 * |-----------------------------------------|------------------------------------------------|--------------------|
 * | eth, etc, bsc, polygon, arbitrum,       | 0x + 40 hex; mixed case must pass EIP-55       | lower-case hex     |
 * | optimism, base, avax (EVM)              |                                                |                    |
 * | btc                                     | bech32/bech32m (bc1…, BIP 173/350, checksum)   | lower-case         |
 * |                                         | or base58check P2PKH/P2SH (1…/3…, checksum)    | as given (case matters) |
 * | any other `[a-z0-9-]{1,32}`             | 8–128 of `[A-Za-z0-9._-]`, not checked further | as given           |
 *
 * Chain aliases: ethereum → eth, bitcoin → btc. A chain gaining its own
 * rule later changes canonical bytes: bump the kind's canonicalVersion in protocol/kinds.ts.
 */
import { createHash } from 'node:crypto'
import { keccak_256 } from '@noble/hashes/sha3.js'

export interface Wallet { ok: true, chain: string, address: string }
export interface WalletError { ok: false, why: 'bad_chain' | 'bad_address' | 'bad_checksum' }

const CHAIN = /^[a-z0-9][a-z0-9-]{0,31}$/
const ALIASES: ReadonlyMap<string, string> = new Map([['ethereum', 'eth'], ['bitcoin', 'btc']])
const EVM_CHAINS: ReadonlySet<string> = new Set(['eth', 'etc', 'bsc', 'polygon', 'arbitrum', 'optimism', 'base', 'avax'])
const GENERIC_ADDRESS = /^[A-Za-z0-9._-]{8,128}$/

export function canonicalWallet (chainRaw: string, address: string): Wallet | WalletError {
  let chain = chainRaw.toLowerCase()
  chain = ALIASES.get(chain) ?? chain
  if (!CHAIN.test(chain)) return { ok: false, why: 'bad_chain' }
  let why: WalletError['why'] | undefined
  let out = address
  if (EVM_CHAINS.has(chain)) {
    why = evmProblem(address)
    out = address.toLowerCase()
  } else if (chain === 'btc') {
    if (/^bc1/i.test(address)) {
      why = bech32Problem(address)
      out = address.toLowerCase()
    } else {
      why = base58checkProblem(address)
    }
  } else if (!GENERIC_ADDRESS.test(address)) {
    why = 'bad_address'
  }
  return why === undefined ? { ok: true, chain, address: out } : { ok: false, why }
}

// --- EVM: EIP-55 mixed-case checksum -------------------------------------

const EVM_ADDRESS = /^0[xX][0-9a-fA-F]{40}$/
const HAS_LOWER = /[a-f]/
const HAS_UPPER = /[A-F]/
const utf8 = new TextEncoder()

function evmProblem (a: string): WalletError['why'] | undefined {
  if (!EVM_ADDRESS.test(a)) return 'bad_address'
  const hex = a.slice(2)
  if (!HAS_LOWER.test(hex) || !HAS_UPPER.test(hex)) return undefined // single case: no checksum given
  const lower = hex.toLowerCase()
  const hash = keccak_256(utf8.encode(lower))
  for (let i = 0; i < 40; i++) {
    const c = hex.charCodeAt(i)
    if (c < 0x41) continue // digit
    const nibble = (hash[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 0x0f
    const upper = c <= 0x46
    if (upper !== nibble >= 8) return 'bad_checksum'
  }
  return undefined
}

// --- Bitcoin bech32 / bech32m (BIP 173, BIP 350) --------------------------

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
const BECH32_GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
const BECH32_CONST = 1
const BECH32M_CONST = 0x2bc830a3

function bech32Problem (a: string): WalletError['why'] | undefined {
  const lower = a.toLowerCase()
  if ((lower !== a && a.toUpperCase() !== a) || a.length > 90) return 'bad_address' // mixed case is invalid bech32
  if (!lower.startsWith('bc1') || lower.length < 14) return 'bad_address'
  // human-readable part "bc", expanded: high bits, 0, low bits
  let chk = 1
  for (const v of [3, 3, 0, 2, 3]) chk = polymodStep(chk, v)
  const data: number[] = []
  for (let i = 3; i < lower.length; i++) {
    const v = BECH32_CHARSET.indexOf(lower[i])
    if (v < 0) return 'bad_address'
    data.push(v)
    chk = polymodStep(chk, v)
  }
  const version = data[0]
  const groups = data.length - 1 - 6 // 5-bit groups of the witness program
  if (version > 16 || groups < 4 || groups > 64) return 'bad_address'
  if (version === 0 && groups !== 32 && groups !== 52) return 'bad_address' // 20- or 32-byte programs
  return chk === (version === 0 ? BECH32_CONST : BECH32M_CONST) ? undefined : 'bad_checksum'
}

function polymodStep (chk: number, v: number): number {
  const top = chk >>> 25
  chk = ((chk & 0x1ffffff) << 5) ^ v
  for (let i = 0; i < 5; i++) if (((top >>> i) & 1) === 1) chk ^= BECH32_GEN[i]
  return chk >>> 0
}

// --- Bitcoin base58check P2PKH (1…) and P2SH (3…) ---------------------------

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
const BASE58_ADDRESS = /^[13][1-9A-HJ-NP-Za-km-z]{25,34}$/

function base58checkProblem (a: string): WalletError['why'] | undefined {
  if (!BASE58_ADDRESS.test(a)) return 'bad_address'
  let n = 0n
  for (let i = 0; i < a.length; i++) n = n * 58n + BigInt(BASE58.indexOf(a[i]))
  let zeros = 0
  while (zeros < a.length && a[zeros] === '1') zeros++
  const bytes: number[] = []
  while (n > 0n) { bytes.push(Number(n & 0xffn)); n >>= 8n }
  for (let i = 0; i < zeros; i++) bytes.push(0)
  bytes.reverse()
  if (bytes.length !== 25 || (bytes[0] !== 0x00 && bytes[0] !== 0x05)) return 'bad_address'
  const payload = Uint8Array.from(bytes.slice(0, 21))
  const first = createHash('sha256').update(payload).digest()
  const check = createHash('sha256').update(first).digest()
  for (let i = 0; i < 4; i++) if (check[i] !== bytes[21 + i]) return 'bad_checksum'
  return undefined
}
