/**
 * The node directory: everything one node owns on disk.
 *
 * ```
 * <dir>/config.json      org, role, name, listen addresses, API address (no secrets)
 * <dir>/keys/            identity.key, sign.key, box.key, epoch-<n>.key (0600; dir 0700)
 * <dir>/roster.json      the installed, fully signed roster (public)
 * <dir>/api-token        the API's bearer token (0600): kept across restarts, replaced only by `alliance api rotate-token`
 * <dir>/api.json         the running daemon's API url, bearer token and pid (0600); removed when it stops
 * <dir>/data/            LevelDB
 * <dir>/seen.bin         fingerprints of the listings this node scanned, for retroactive decisions (0600)
 * ```
 */
import { readFileSync } from 'node:fs'
import { chmod, mkdir, readFile, rename, open, stat } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { isSupportedCountry } from 'libphonenumber-js/max'
import { z } from 'zod'
import { fromHex } from '../protocol/bytes.js'
import { weakEd25519Key } from '../protocol/ed25519.js'
import { isRole, type Role } from '../protocol/kinds.js'
import { weakX25519Key } from '../protocol/x25519.js'
import { ORG_ID_RE } from '../protocol/roster/index.js'
import { cardAddrs } from './card-addrs.js'
import { InsecureKeyFileError, KeyFileMissingError, NodeError } from './errors.js'
import { generateNodeKeys, keyFilePaths, loadNodeKeys, type NodeKeys } from './keys.js'
import { createServer } from 'node:net'
import { randomBytes } from 'node:crypto'
import { issueLines } from './issues.js'

export const CONFIG_FILE = 'config.json'
export const ROSTER_FILE = 'roster.json'
export const API_FILE = 'api.json'
export const API_TOKEN_FILE = 'api-token'
export const DATA_DIR = 'data'
export const SEEN_FILE = 'seen.bin'

export class NodeDirError extends NodeError {
  constructor (why: string) {
    super('node_dir', why)
    this.name = 'NodeDirError'
  }
}

export class InvalidConfigError extends NodeError {
  constructor (why: string) {
    super('invalid_config', `invalid node configuration: ${why}`)
    this.name = 'InvalidConfigError'
  }
}

/** Why a two-letter code is no phone country, with the usual mix-up named. */
export function countryProblem (code: string): string {
  const hint = code.toUpperCase() === 'UK' ? ' (the United Kingdom is GB)' : ' (ISO 3166 alpha-2, e.g. GB, DE, US)'
  return `${JSON.stringify(code)} is not a country code the phone rules know${hint}`
}

const configSchema = z.object({
  version: z.literal(1),
  org: z.string().regex(ORG_ID_RE),
  role: z.enum(['brand', 'platform', 'law-enforcement']),
  name: z.string().max(256),
  listen: z.array(z.string()).min(1),
  announce: z.array(z.string()).default([]),
  api: z.object({ host: z.string(), port: z.number().int().min(0).max(65535) }),
  /** Country for phone numbers written without + in this member's files: one libphonenumber knows (GB, not UK). */
  defaultCountry: z.string().length(2).refine(c => isSupportedCountry(c), { error: iss => countryProblem(String(iss.input)) }).optional(),
  logLevel: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  /**
   * Keep the raw values this node attests in its local encrypted vault, so a
   * key rotation re-attests them by itself (node/services/vault.ts).
   */
  vault: z.boolean().default(true),
  /**
   * A key rotation's latest cut-over: this long after the roster version
   * that opened the new epoch took effect, even if some member has not
   * re-attested yet (node/services/rotation.ts).
   */
  rotationGraceMs: z.number().int().min(0).default(7 * 24 * 3600_000),
  /**
   * Anti-entropy: peers one round pulls from, round-robin in a random order
   * of the connected peers, so each peer is pulled at least
   * once every ⌈peers ÷ this⌉ rounds (node/services/sync-service.ts). A
   * round pulling from every peer costs each node O(members) streams per
   * interval; at hundreds of members that is most of an idle node's work.
   */
  antiEntropyPeers: z.number().int().min(1).max(1000).default(8),
  /**
   * libp2p's connection monitor: ping every connection this often to find
   * dead ones. Unset: 10 s up to 50 peers, 0.2 s per peer above that
   * (node/net/host-config.ts pingIntervalFor).
   */
  pingIntervalMs: z.number().int().min(1000).max(3_600_000).optional(),
  /** toprf guardian: publish changed daily counts (signed entries) this often. */
  guardianCountsIntervalMs: z.number().int().min(1000).default(10 * 60_000),
  /**
   * toprf guardian: worker threads that evaluate requests (0: the main
   * thread). Unset: one per core, at most 8 (node/services/guardian-pool.ts).
   */
  guardianWorkers: z.number().int().min(0).max(64).optional(),
  /**
   * fsync the store at every segment boundary: acknowledged entries survive
   * a power cut, not only a killed process, at one fsync per segment
   * (node/store/level.ts; RELIABILITY.md says what it costs).
   */
  durable: z.boolean().default(false),
  /**
   * Where API requests may make the node read (evidence, listings) and
   * write (decisions, rejects, bundles): absolute directories. Unset: anywhere
   * the node's user may, outside the node directory, which is never allowed
   * (node/file-access.ts).
   */
  files: z.object({
    read: z.array(z.string().refine(isAbsolute, 'must be an absolute directory')).max(64).optional(),
    write: z.array(z.string().refine(isAbsolute, 'must be an absolute directory')).max(64).optional()
  }).strict().optional()
}).strict()
export type NodeConfig = z.infer<typeof configSchema>

/** A member card: what an org hands to the roster's builder. Public keys only. */
export interface MemberCard {
  org: string
  name: string
  roles: Role[]
  signKey: string
  boxKey: string
  peerId: string
  addrs: string[]
}

export const cardSchema = z.object({
  org: z.string().regex(ORG_ID_RE),
  name: z.string().max(256),
  roles: z.array(z.enum(['brand', 'platform', 'law-enforcement'])).min(1),
  // small-order or non-canonical keys would let anyone sign as the org, or read what is sealed to it
  signKey: z.string().regex(/^[0-9a-f]{64}$/).refine(k => weakEd25519Key(fromHex(k)) === undefined, 'not a usable Ed25519 public key (small order or non-canonical)'),
  boxKey: z.string().regex(/^[0-9a-f]{64}$/).refine(k => weakX25519Key(fromHex(k)) === undefined, 'not a usable X25519 public key (small order or non-canonical)'),
  peerId: z.string().min(1).max(128),
  addrs: z.array(z.string()).max(8)
})

export interface InitOptions {
  org: string
  role: string
  name?: string
  /** Multiaddrs; a port 0 is replaced by a free port now, so the card carries dialable addresses. @default ['/ip4/127.0.0.1/tcp/0'] */
  listen?: string[]
  announce?: string[]
  /** Port of the local HTTP API, kept across restarts; 0 takes a free port at each start. @default a free port chosen now */
  apiPort?: number
  defaultCountry?: string
  /** Keep attested raw values in the local encrypted vault (re-attestation after a key rotation). @default true */
  vault?: boolean
}

/** Lowest port of the OS's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range); 32768 when unknown. */
function ephemeralStart (): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    if (Number.isInteger(first) && first > 1024 && first <= 65535) return first
  } catch {}
  return 32768
}

/** Ports this process has handed out (several nodes initialised at once must not get the same one). */
const handedOut = new Set<number>()

async function canListen (port: number, host: string): Promise<number | undefined> {
  return await new Promise(resolve => {
    const srv = createServer()
    srv.once('error', () => resolve(undefined))
    srv.listen(port, host, () => {
      const addr = srv.address()
      srv.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : undefined))
    })
  })
}

/**
 * A free TCP port on `host` for a node to keep: one below the OS's
 * ephemeral range when it can find one. A port the OS hands out for port 0
 * comes from that range, where any outgoing connection may take it while
 * the node is stopped, and the node could then not listen on the address
 * its member card gives.
 */
export async function freePort (host = '127.0.0.1'): Promise<number> {
  const top = ephemeralStart()
  const bottom = Math.min(10_000, top - 1)
  for (let i = 0; i < 64 && top - bottom > 1; i++) {
    const pick = bottom + Math.floor(Math.random() * (top - bottom))
    if (handedOut.has(pick)) continue // free again once its probe closed, but promised to another node of this process
    handedOut.add(pick)
    if (await canListen(pick, host) !== undefined) return pick
    handedOut.delete(pick)
  }
  const port = await canListen(0, host)
  if (port === undefined) throw new InvalidConfigError(`no free TCP port on ${host}`)
  return port
}

async function resolveListen (addrs: string[]): Promise<string[]> {
  const out: string[] = []
  for (const a of addrs) {
    let ma
    try { ma = multiaddr(a) } catch { throw new InvalidConfigError(`listen address "${a}" is not a multiaddr (e.g. /ip4/0.0.0.0/tcp/4001)`) }
    const parts = ma.getComponents()
    const tcp = parts.find(c => c.name === 'tcp')
    if (tcp === undefined) throw new InvalidConfigError(`listen address "${a}" has no /tcp/<port>`)
    if (tcp.value === '0') {
      const host = parts.find(c => c.name === 'ip4' || c.name === 'ip6')?.value ?? '127.0.0.1'
      out.push(a.replace(/\/tcp\/0(\/|$)/, `/tcp/${await freePort(host === '0.0.0.0' ? '0.0.0.0' : host)}$1`))
    } else {
      out.push(a)
    }
  }
  return out
}

export async function writeFileAtomic (path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  const fh = await open(tmp, 'w', mode)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
}

/** `alliance init`: creates the directory, keys and config. Refuses an existing node directory. */
export async function initNodeDir (dir: string, opts: InitOptions): Promise<NodeConfig> {
  if (!ORG_ID_RE.test(opts.org)) throw new InvalidConfigError(`org id "${opts.org}" must be lower-case letters, digits, '.' or '-' (max 63), starting with a letter or digit`)
  if (!isRole(opts.role)) throw new InvalidConfigError(`role "${opts.role}" must be one of brand, platform, law-enforcement`)
  if (opts.defaultCountry !== undefined && !isSupportedCountry(opts.defaultCountry.toUpperCase())) throw new InvalidConfigError(`--country ${countryProblem(opts.defaultCountry)}`)
  try {
    await stat(join(dir, CONFIG_FILE))
    throw new NodeDirError(`${dir} is already a node directory (config.json exists); choose another directory`)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  await mkdir(dir, { recursive: true, mode: 0o700 })
  // mkdir keeps the mode of a directory that existed (made by hand, or by an installer with a umask of 022): the node's files are its own alone
  await chmod(dir, 0o700)
  const config: NodeConfig = configSchema.parse({
    version: 1,
    org: opts.org,
    role: opts.role,
    name: opts.name ?? opts.org,
    listen: await resolveListen(opts.listen ?? ['/ip4/127.0.0.1/tcp/0']),
    announce: opts.announce ?? [],
    // chosen once, so a monitoring set-up pointed at it keeps working after a restart
    api: { host: '127.0.0.1', port: opts.apiPort ?? await freePort('127.0.0.1') },
    ...(opts.defaultCountry !== undefined ? { defaultCountry: opts.defaultCountry.toUpperCase() } : {}),
    logLevel: 'info',
    vault: opts.vault ?? true
  })
  await generateNodeKeys(dir)
  await writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n', 0o644)
  return config
}

export async function readConfig (dir: string): Promise<NodeConfig> {
  let text: string
  try {
    text = await readFile(join(dir, CONFIG_FILE), 'utf8')
  } catch {
    throw new NodeDirError(`${dir} is not a node directory (no config.json); create one with: alliance init ${dir} --org <id> --role <role>`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new InvalidConfigError(`${join(dir, CONFIG_FILE)} is not valid JSON (${(err as Error).message})`)
  }
  const parsed = configSchema.safeParse(json)
  if (!parsed.success) throw new InvalidConfigError(`${join(dir, CONFIG_FILE)}: ${issueLines(parsed.error.issues).join('; ')}`)
  return parsed.data
}

export async function loadKeys (dir: string): Promise<NodeKeys> {
  return await loadNodeKeys(dir)
}

/**
 * This node's member card (JSON-able), from its config and keys. Addresses
 * as node/card-addrs.ts decides (a wildcard listen becomes this machine's
 * interface addresses; CardAddressError when there is none to give);
 * `onWarning` hears why other machines may not reach them.
 */
export async function memberCard (dir: string, onWarning: (why: string) => void = () => {}): Promise<MemberCard> {
  const config = await readConfig(dir)
  const keys = await loadNodeKeys(dir)
  const chosen = cardAddrs(config)
  chosen.warnings.forEach(onWarning)
  const addrs = chosen.addrs.map(a => `${a}/p2p/${keys.peerId.toString()}`)
  return {
    org: config.org,
    name: config.name,
    roles: [config.role],
    signKey: Buffer.from(keys.sign.publicKey).toString('hex'),
    boxKey: Buffer.from(keys.box.publicKey).toString('hex'),
    peerId: keys.peerId.toString(),
    addrs
  }
}

/** Path of the sealed-and-opened epoch key file for `epoch`. */
export function epochKeyPath (dir: string, epoch: number): string {
  return join(keyFilePaths(dir).dir, `epoch-${epoch}.key`)
}

/** A toprf guardian's share of an epoch's OPRF key (only on the guardian node it was sealed to). */
export function shareKeyPath (dir: string, epoch: number): string {
  return join(keyFilePaths(dir).dir, `toprf-share-${epoch}.key`)
}

export async function writeEpochKey (dir: string, epoch: number, key: Uint8Array): Promise<void> {
  await writeSecretFile(epochKeyPath(dir, epoch), key)
}

export async function readEpochKey (dir: string, epoch: number): Promise<Uint8Array> {
  return await readSecretFile(epochKeyPath(dir, epoch))
}

export async function writeShareKey (dir: string, epoch: number, share: Uint8Array): Promise<void> {
  await writeSecretFile(shareKeyPath(dir, epoch), share)
}

export async function readShareKey (dir: string, epoch: number): Promise<Uint8Array> {
  return await readSecretFile(shareKeyPath(dir, epoch))
}

/**
 * A node-local 32-byte key in keys/<file> (hex, 0600), made on first use
 * (the vault key, the fingerprint-cache key). InsecureKeyFileError if others
 * can read it; `malformed(path)` names the error of a file that is not one.
 */
export async function nodeLocalKey (dir: string, file: string, malformed: (path: string) => Error): Promise<Uint8Array> {
  const path = join(keyFilePaths(dir).dir, file)
  let key: Uint8Array
  try {
    key = await readSecretFile(path)
  } catch (err) {
    if ((err as Error).name !== 'KeyFileMissingError') throw err
    key = new Uint8Array(randomBytes(32))
    await writeSecretFile(path, key)
    return key
  }
  if (key.length !== 32) throw malformed(path)
  return key
}

async function writeSecretFile (path: string, key: Uint8Array): Promise<void> {
  await writeFileAtomic(path, Buffer.from(key).toString('hex') + '\n', 0o600)
}

/** Reads a hex key file; KeyFileMissingError, InsecureKeyFileError (readable by others). */
async function readSecretFile (path: string): Promise<Uint8Array> {
  let st
  try {
    st = await stat(path)
  } catch {
    throw new KeyFileMissingError(path)
  }
  if ((st.mode & 0o077) !== 0) throw new InsecureKeyFileError(path, st.mode)
  const hex = (await readFile(path, 'utf8')).trim()
  if (!/^(?:[0-9a-f]{2})+$/.test(hex)) return new Uint8Array(0)
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

export interface ApiInfo { url: string, token: string, pid: number }

export async function writeApiInfo (dir: string, info: ApiInfo): Promise<void> {
  await writeFileAtomic(join(dir, API_FILE), JSON.stringify(info) + '\n', 0o600)
}

/** A fresh bearer token: 32 random bytes, base64url. */
function newApiToken (): string {
  return randomBytes(32).toString('base64url')
}

/**
 * The API's bearer token from <dir>/api-token, created (0600) on first use.
 * Kept across restarts, so a monitoring set-up that copied it keeps working;
 * a file readable by other users is refused like a key file.
 */
export async function readOrCreateApiToken (dir: string): Promise<string> {
  const path = join(dir, API_TOKEN_FILE)
  try {
    const fh = await open(path, 'wx', 0o600)
    try {
      await fh.writeFile(newApiToken() + '\n')
      await fh.sync()
    } finally {
      await fh.close()
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  const st = await stat(path)
  if ((st.mode & 0o077) !== 0) throw new InsecureKeyFileError(path, st.mode)
  const token = (await readFile(path, 'utf8')).trim()
  if (!/^[A-Za-z0-9_-]{32,256}$/.test(token)) throw new InvalidConfigError(`${path} does not hold an API token; run alliance api rotate-token ${dir}`)
  return token
}

/** `alliance api rotate-token`: replaces <dir>/api-token (0600) with a fresh token. */
export async function rotateApiToken (dir: string): Promise<string> {
  await readConfig(dir) // a node directory, not any folder
  const token = newApiToken()
  await writeFileAtomic(join(dir, API_TOKEN_FILE), token + '\n', 0o600)
  return token
}

export async function readApiInfo (dir: string): Promise<ApiInfo | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, API_FILE), 'utf8')) as ApiInfo
  } catch {
    return undefined
  }
}

export async function writeJson (path: string, value: unknown, mode = 0o644): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', mode)
}

export { keyFilePaths }
