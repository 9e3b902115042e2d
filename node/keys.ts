/**
 * A node's three keys, kept in files in the node directory.
 *
 * On-disk format (`<dir>/keys/`, directory mode 0700, files mode 0600):
 *
 * | file           | contents                                                          |
 * | -------------- | ----------------------------------------------------------------- |
 * | `identity.key` | libp2p identity: the libp2p protobuf encoding of an Ed25519 private key (`privateKeyToProtobuf`, the format libp2p tools read); gives the peer id |
 * | `sign.key`     | signing key: the raw 32-byte Ed25519 seed (RFC 8032 private key); signs log entries, separate from the transport identity |
 * | `box.key`      | box key: the raw 32-byte X25519 private scalar (RFC 7748); opens sealed epoch keys and encrypted reports |
 *
 * Public keys are derived at load time, never stored. Files are written
 * atomically (temp file created 0600, fsynced, then hard-linked into place,
 * which fails instead of overwriting) and a load refuses any key file that
 * group or others may access (`InsecureKeyFileError`).
 *
 * The loaded `NodeKeys` keeps private material in `#private` fields reached
 * through prototype getters, so `util.inspect`, `JSON.stringify`, spreading
 * and error messages never show it.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign as edSign, type KeyObject } from 'node:crypto'
import { constants as fsConstants } from 'node:fs'
import { chmod, link, mkdir, open, rename, unlink, lstat } from 'node:fs/promises'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { InsecureKeyFileError, KeyFileExistsError, KeyFileMissingError, MalformedKeyFileError } from './errors.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export const KEYS_DIR = 'keys'
export const IDENTITY_KEY_FILE = 'identity.key'
export const SIGN_KEY_FILE = 'sign.key'
export const BOX_KEY_FILE = 'box.key'

/** Size of an Ed25519 seed and of an X25519 private scalar */
const SEED_LENGTH = 32
/** A libp2p Ed25519 protobuf private key is 68 bytes; anything beyond this is not a key file */
const MAX_KEY_FILE_SIZE = 4096

const KEY_FILE_MODE = 0o600
const KEY_DIR_MODE = 0o700

// PKCS#8 DER prefixes for a 32-byte raw private key (RFC 8410): SEQUENCE,
// version 0, AlgorithmIdentifier (1.3.101.112 Ed25519 / 1.3.101.110 X25519),
// OCTET STRING wrapping an OCTET STRING of 32 bytes.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')
/** SPKI DER of a 32-byte public key is a 12-byte header then the key */
const SPKI_HEADER_LENGTH = 12

/** Ed25519 key pair for signing log entries, with the node:crypto key cached */
export class SignKeyPair {
  /** Raw 32-byte Ed25519 public key */
  readonly publicKey: Uint8Array
  readonly #keyObject: KeyObject

  constructor (keyObject: KeyObject) {
    this.#keyObject = keyObject
    this.publicKey = rawPublicKey(keyObject)
  }

  /** Cached node:crypto private KeyObject (import once, sign many: ~16k sign/s) */
  get privateKeyObject (): KeyObject {
    return this.#keyObject
  }

  /** Ed25519 signature (64 bytes) over `message` */
  sign (message: Uint8Array): Uint8Array {
    const sig = edSign(null, message, this.#keyObject)
    return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength)
  }

  toJSON (): Record<string, string> {
    return { type: 'Ed25519', publicKey: Buffer.from(this.publicKey).toString('hex') }
  }

  [inspect.custom] (): string {
    return `SignKeyPair { Ed25519 public ${Buffer.from(this.publicKey).toString('hex')} }`
  }
}

/** X25519 key pair for sealed keys and encrypted reports */
export class BoxKeyPair {
  /** Raw 32-byte X25519 public key */
  readonly publicKey: Uint8Array
  readonly #privateKey: Uint8Array

  constructor (privateKey: Uint8Array, publicKey: Uint8Array) {
    this.#privateKey = privateKey
    this.publicKey = publicKey
  }

  /** Raw 32-byte X25519 private key (a fresh copy each call) */
  get privateKey (): Uint8Array {
    return this.#privateKey.slice()
  }

  toJSON (): Record<string, string> {
    return { type: 'X25519', publicKey: Buffer.from(this.publicKey).toString('hex') }
  }

  [inspect.custom] (): string {
    return `BoxKeyPair { X25519 public ${Buffer.from(this.publicKey).toString('hex')} }`
  }
}

/** A node's loaded keys. Private material only through getters. */
export class NodeKeys {
  readonly peerId: PeerId
  readonly sign: SignKeyPair
  readonly box: BoxKeyPair
  readonly #identity: PrivateKey

  constructor (identity: PrivateKey, sign: SignKeyPair, box: BoxKeyPair) {
    this.#identity = identity
    this.peerId = peerIdFromPrivateKey(identity)
    this.sign = sign
    this.box = box
  }

  /** The libp2p identity key, for `createLibp2p({ privateKey })` */
  get privateKey (): PrivateKey {
    return this.#identity
  }

  toJSON (): Record<string, unknown> {
    return { peerId: this.peerId.toString(), sign: this.sign.toJSON(), box: this.box.toJSON() }
  }

  [inspect.custom] (): string {
    return `NodeKeys { peerId ${this.peerId.toString()}, sign ${Buffer.from(this.sign.publicKey).toString('hex')}, box ${Buffer.from(this.box.publicKey).toString('hex')} }`
  }
}

/** Paths of the three key files of a node directory */
export function keyFilePaths (dir: string): { dir: string, identity: string, sign: string, box: string } {
  const keysDir = join(dir, KEYS_DIR)
  return {
    dir: keysDir,
    identity: join(keysDir, IDENTITY_KEY_FILE),
    sign: join(keysDir, SIGN_KEY_FILE),
    box: join(keysDir, BOX_KEY_FILE)
  }
}

/**
 * Generate the three keys of a new node into `<dir>/keys/` and return them
 * loaded. Throws `KeyFileExistsError` if any key file already exists; never
 * overwrites.
 */
export async function generateNodeKeys (dir: string): Promise<NodeKeys> {
  const paths = keyFilePaths(dir)
  await mkdir(paths.dir, { recursive: true, mode: KEY_DIR_MODE })
  await chmod(paths.dir, KEY_DIR_MODE)

  for (const file of [paths.identity, paths.sign, paths.box]) {
    if (await exists(file)) throw new KeyFileExistsError(file)
  }

  const identity = await generateKeyPair('Ed25519')
  const signSeed = randomBytes(SEED_LENGTH)
  const boxSecret = randomBytes(SEED_LENGTH)
  try {
    await writeKeyFileExclusive(paths.identity, privateKeyToProtobuf(identity))
    await writeKeyFileExclusive(paths.sign, signSeed)
    await writeKeyFileExclusive(paths.box, boxSecret)
    await fsyncDir(paths.dir)
  } finally {
    signSeed.fill(0)
    boxSecret.fill(0)
  }
  return await loadNodeKeys(dir)
}

/**
 * Load the keys of a node directory. Throws `KeyFileMissingError`,
 * `InsecureKeyFileError` (group/world permissions; says `chmod 600 <file>`)
 * or `MalformedKeyFileError`.
 */
export async function loadNodeKeys (dir: string): Promise<NodeKeys> {
  const paths = keyFilePaths(dir)
  // check every file's mode before reading any of them
  const identityBytes = await readKeyFile(paths.identity)
  const signSeed = await readKeyFile(paths.sign)
  const boxSecret = await readKeyFile(paths.box)
  try {
    let identity: PrivateKey
    try {
      identity = privateKeyFromProtobuf(identityBytes)
    } catch (err) {
      throw new MalformedKeyFileError(paths.identity, 'not a libp2p protobuf private key', { cause: sanitisedCause(err) })
    }
    if (identity.type !== 'Ed25519') {
      throw new MalformedKeyFileError(paths.identity, `expected an Ed25519 key, found ${identity.type}`)
    }

    if (signSeed.byteLength !== SEED_LENGTH) {
      throw new MalformedKeyFileError(paths.sign, `expected ${SEED_LENGTH} bytes, found ${signSeed.byteLength}`)
    }
    const signKey = importRawPrivateKey(PKCS8_ED25519_PREFIX, signSeed, paths.sign)

    if (boxSecret.byteLength !== SEED_LENGTH) {
      throw new MalformedKeyFileError(paths.box, `expected ${SEED_LENGTH} bytes, found ${boxSecret.byteLength}`)
    }
    const boxKey = importRawPrivateKey(PKCS8_X25519_PREFIX, boxSecret, paths.box)

    return new NodeKeys(identity, new SignKeyPair(signKey), new BoxKeyPair(new Uint8Array(boxSecret), rawPublicKey(boxKey)))
  } finally {
    identityBytes.fill(0)
    signSeed.fill(0)
    boxSecret.fill(0)
  }
}

async function readKeyFile (file: string): Promise<Buffer> {
  let handle
  try {
    // O_NOFOLLOW: a symlink planted in place of a key file is refused, and
    // fstat on the open handle checks the very file we then read
    handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new KeyFileMissingError(file)
    if (code === 'ELOOP') throw new MalformedKeyFileError(file, 'it is a symbolic link; key files must be regular files')
    throw err
  }
  try {
    const st = await handle.stat()
    if (!st.isFile()) throw new MalformedKeyFileError(file, 'not a regular file')
    if ((st.mode & 0o077) !== 0) throw new InsecureKeyFileError(file, st.mode)
    if (st.size > MAX_KEY_FILE_SIZE) throw new MalformedKeyFileError(file, `too large (${st.size} bytes)`)
    const buf = Buffer.alloc(st.size)
    const { bytesRead } = await handle.read(buf, 0, st.size, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

async function writeKeyFileExclusive (file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`
  const handle = await open(tmp, 'wx', KEY_FILE_MODE)
  try {
    await handle.chmod(KEY_FILE_MODE) // umask can only remove bits, but be explicit
    await handle.writeFile(bytes)
    await handle.sync()
  } catch (err) {
    await handle.close()
    await unlink(tmp).catch(() => {})
    throw err
  }
  await handle.close()
  try {
    // link() fails with EEXIST instead of replacing: no-clobber and atomic
    await link(tmp, file)
    await unlink(tmp)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') {
      await unlink(tmp).catch(() => {})
      throw new KeyFileExistsError(file)
    }
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      // filesystem without hard links: rename after an existence check
      if (await exists(file)) {
        await unlink(tmp).catch(() => {})
        throw new KeyFileExistsError(file)
      }
      await rename(tmp, file)
      return
    }
    await unlink(tmp).catch(() => {})
    throw err
  }
}

/** fsyncs a directory (after a rename into it); filesystems that refuse it are left alone. */
export async function fsyncDir (dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY)
  try {
    await handle.sync()
  } catch {
    // some filesystems refuse fsync on directories; the files themselves are synced
  } finally {
    await handle.close()
  }
}

async function exists (file: string): Promise<boolean> {
  try {
    await lstat(file)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

function importRawPrivateKey (prefix: Buffer, raw: Uint8Array, file: string): KeyObject {
  const der = Buffer.concat([prefix, raw])
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  } catch (err) {
    throw new MalformedKeyFileError(file, 'not a valid private key', { cause: sanitisedCause(err) })
  } finally {
    der.fill(0)
  }
}

function rawPublicKey (privateKey: KeyObject): Uint8Array {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  return new Uint8Array(spki.subarray(SPKI_HEADER_LENGTH))
}

/** Keep only name and message of a library error, in case it carried input bytes */
function sanitisedCause (err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err))
  const out = new Error(e.message.length > 200 ? e.message.slice(0, 200) : e.message)
  out.name = e.name
  return out
}
