import assert from 'node:assert/strict'
import { chmod, mkdtemp, readFile, rm, stat, writeFile, readdir, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { createPublicKey, verify } from 'node:crypto'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { generateNodeKeys, keyFilePaths, loadNodeKeys, type NodeKeys } from '../../../node/keys.js'
import { InsecureKeyFileError, KeyFileExistsError, KeyFileMissingError, MalformedKeyFileError } from '../../../node/errors.js'

describe('node keys', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alliance-keys-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** Every encoding of the private seeds a leak could take */
  async function secretEncodings (): Promise<string[]> {
    const paths = keyFilePaths(dir)
    const identity = privateKeyFromProtobuf(await readFile(paths.identity))
    const seeds = [
      Buffer.from(identity.raw.subarray(0, 32)),
      await readFile(paths.sign),
      await readFile(paths.box)
    ]
    const out: string[] = []
    for (const s of seeds) {
      assert.equal(s.byteLength, 32)
      out.push(s.toString('hex'), s.toString('base64'), s.toString('base64url'), s.toString('base64').slice(0, 20))
      out.push(Array.from(s.subarray(0, 8)).join(',')) // how inspect prints a Uint8Array, whitespace removed
    }
    return out
  }

  function leaks (text: string, secrets: string[]): boolean {
    const compact = text.replace(/\s+/g, '')
    return secrets.some(s => text.includes(s) || compact.includes(s))
  }

  function assertNoSecrets (text: string, secrets: string[], what: string): void {
    assert.ok(!leaks(text, secrets), `${what} leaks private key material`)
  }

  it('generates three keys with mode 0600 in a 0700 directory', async () => {
    const keys = await generateNodeKeys(dir)
    const paths = keyFilePaths(dir)
    assert.equal((await stat(paths.dir)).mode & 0o777, 0o700)
    for (const file of [paths.identity, paths.sign, paths.box]) {
      assert.equal((await stat(file)).mode & 0o777, 0o600, file)
    }
    // no temp files left behind
    assert.deepEqual((await readdir(paths.dir)).sort(), ['box.key', 'identity.key', 'sign.key'])
    assert.equal(keys.sign.publicKey.byteLength, 32)
    assert.equal(keys.box.publicKey.byteLength, 32)
    assert.equal(keys.box.privateKey.byteLength, 32)
    assert.match(keys.peerId.toString(), /^12D3KooW/)
  })

  it('loads the same keys back, and signs verifiably', async () => {
    const generated = await generateNodeKeys(dir)
    const loaded = await loadNodeKeys(dir)
    assert.ok(loaded.peerId.equals(generated.peerId))
    assert.deepEqual(loaded.sign.publicKey, generated.sign.publicKey)
    assert.deepEqual(loaded.box.publicKey, generated.box.publicKey)
    assert.deepEqual(loaded.box.privateKey, generated.box.privateKey)
    assert.ok(loaded.privateKey.publicKey.equals(generated.privateKey.publicKey))

    const msg = new TextEncoder().encode('entry hash')
    const sig = loaded.sign.sign(msg)
    assert.equal(sig.byteLength, 64)
    const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(loaded.sign.publicKey).toString('base64url') }, format: 'jwk' })
    assert.ok(verify(null, msg, pub, sig))
    // the signing key is not the transport identity
    assert.notDeepEqual(loaded.sign.publicKey, loaded.privateKey.publicKey.raw)
  })

  it('refuses to overwrite existing keys', async () => {
    await generateNodeKeys(dir)
    const before = await readFile(keyFilePaths(dir).sign)
    await assert.rejects(generateNodeKeys(dir), KeyFileExistsError)
    assert.deepEqual(await readFile(keyFilePaths(dir).sign), before)
  })

  it('refuses to overwrite even one pre-existing key file', async () => {
    const paths = keyFilePaths(dir)
    await generateNodeKeys(dir)
    await rm(paths.identity)
    await rm(paths.sign)
    await assert.rejects(generateNodeKeys(dir), (err: unknown) => {
      assert.ok(err instanceof KeyFileExistsError)
      assert.equal(err.file, paths.box)
      return true
    })
  })

  for (const [name, mode] of [['identity', 0o644], ['sign', 0o640], ['box', 0o604]] as const) {
    it(`refuses to load a group- or world-readable ${name} key (mode ${mode.toString(8)})`, async () => {
      await generateNodeKeys(dir)
      const secrets = await secretEncodings()
      const file = keyFilePaths(dir)[name]
      await chmod(file, mode)
      await assert.rejects(loadNodeKeys(dir), (err: unknown) => {
        assert.ok(err instanceof InsecureKeyFileError)
        assert.equal(err.name, 'InsecureKeyFileError')
        assert.equal(err.file, file)
        assert.ok(err.message.includes(`chmod 600 ${file}`), 'says how to fix it')
        assertNoSecrets(err.message + inspect(err), secrets, 'the error')
        return true
      })
      await chmod(file, 0o600)
      await loadNodeKeys(dir)
    })
  }

  it('names a missing key file', async () => {
    await generateNodeKeys(dir)
    await rm(keyFilePaths(dir).box)
    await assert.rejects(loadNodeKeys(dir), KeyFileMissingError)
  })

  it('rejects a truncated key file without echoing its bytes', async () => {
    await generateNodeKeys(dir)
    const file = keyFilePaths(dir).sign
    const seed = await readFile(file)
    await writeFile(file, seed.subarray(0, 31), { mode: 0o600 })
    await assert.rejects(loadNodeKeys(dir), (err: unknown) => {
      assert.ok(err instanceof MalformedKeyFileError)
      assert.ok(!err.message.includes(seed.subarray(0, 31).toString('hex')))
      return true
    })
  })

  it('refuses a key file that is a symbolic link', async () => {
    await generateNodeKeys(dir)
    const paths = keyFilePaths(dir)
    const elsewhere = join(dir, 'elsewhere.key')
    await writeFile(elsewhere, await readFile(paths.box), { mode: 0o600 })
    await rm(paths.box)
    await symlink(elsewhere, paths.box)
    await assert.rejects(loadNodeKeys(dir), MalformedKeyFileError)
  })

  it('never reveals private material through inspect, JSON or spreading', async () => {
    await generateNodeKeys(dir)
    const keys: NodeKeys = await loadNodeKeys(dir)
    const secrets = await secretEncodings()
    const views = [
      inspect(keys),
      inspect(keys, { showHidden: true, depth: 10, getters: true }),
      inspect({ nested: { keys } }, { depth: 10 }),
      inspect(keys.sign, { showHidden: true }),
      inspect(keys.box, { showHidden: true }),
      JSON.stringify(keys),
      JSON.stringify({ keys, sign: keys.sign, box: keys.box }),
      JSON.stringify({ ...keys }),
      inspect({ ...keys }, { depth: 10 }),
      inspect({ ...keys.box }),
      String(keys)
    ]
    for (const [i, v] of views.entries()) assertNoSecrets(v, secrets, `view ${i}`)
    // the detector works: the libp2p key object itself, fetched on purpose, does show its bytes
    assert.ok(leaks(inspect(keys.privateKey), secrets))
    assert.ok(leaks(Buffer.from(keys.box.privateKey).toString('hex'), secrets))
    // the public parts are there, so the views are useful
    assert.ok(JSON.stringify(keys).includes(keys.peerId.toString()))
    assert.ok(inspect(keys).includes(Buffer.from(keys.sign.publicKey).toString('hex')))
  })
})
