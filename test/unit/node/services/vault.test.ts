import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { canonicalBytes } from '../../../../protocol/canonical/index.js'
import type { Kind } from '../../../../protocol/kinds.js'
import { LevelVaultBackend, MemoryVaultBackend, Vault, openVault, vaultKey, type VaultBackend } from '../../../../node/services/vault.js'
import { VaultError } from '../../../../node/services/errors.js'

const canonical = (kind: Kind, value: string): Uint8Array => canonicalBytes(kind, value, { defaultCountry: 'GB' })
const KEY = new Uint8Array(32).fill(7)
const NOW = 1_800_000_000_000

function suite (name: string, make: () => { backend: VaultBackend, cleanup: () => void }): void {
  describe(`node/services vault (${name})`, () => {
    let backend: VaultBackend
    let cleanup: () => void
    let vault: Vault
    beforeEach(async () => {
      ({ backend, cleanup } = make())
      vault = new Vault(KEY, backend, canonical)
      await vault.open()
    })
    afterEach(async () => { await vault.close(); cleanup() })

    it('keeps live records, drops expired ones from live(), and one identifier is one record whatever its notation', async () => {
      await vault.remember([
        { kind: 'phone', value: '+44 20 7946 0958', terms: { type: 'attestation', claim: 'counterfeit-seller', reason: 3, confidence: 90, expires: NOW + 1000 } },
        { kind: 'email', value: 'old@example.com', terms: { type: 'attestation', expires: NOW - 1 } },
        { kind: 'url', value: 'https://shop.example.net/a', terms: { type: 'allow', expires: NOW + 5000 } }
      ])
      await vault.remember([{ kind: 'phone', value: '020 7946 0958', terms: { type: 'attestation', reason: 4, expires: NOW + 2000 } }])
      assert.equal(await vault.size(), 3)
      const live = []
      for await (const r of vault.live(NOW)) live.push(r)
      assert.deepEqual(live.map(r => r.kind).sort(), ['phone', 'url'])
      const phone = live.find(r => r.kind === 'phone')
      assert.equal(phone?.value, '020 7946 0958', 'the newest terms replace the older ones')
      assert.equal(phone?.terms.reason, 4)
      await vault.forget([{ kind: 'phone', value: '+442079460958' }])
      assert.equal(await vault.size(), 2)
    })

    it('stores neither raw values nor canonical forms in the clear, and a record moved under another id does not open', async () => {
      await vault.remember([{ kind: 'email', value: 'Secret.Seller@Example.com', terms: { type: 'attestation', expires: NOW + 1000 } }])
      const rows: Array<[string, Uint8Array]> = []
      for await (const e of backend.entries()) rows.push(e)
      assert.equal(rows.length, 1)
      const text = Buffer.from(rows[0][1]).toString('latin1') + rows[0][0]
      assert.ok(!/secret/i.test(text), 'no plaintext in the stored record or its id')
      await backend.del([rows[0][0]])
      await backend.put('00'.repeat(32), rows[0][1])
      await assert.rejects(async () => { for await (const _ of vault.live(NOW)) { /* read */ } }, (err: Error) => err instanceof VaultError && err.name === 'VaultError')
    })

    it('a vault opened with another key cannot read the records', async () => {
      await vault.remember([{ kind: 'email', value: 'a@example.com', terms: { type: 'attestation', expires: NOW + 1000 } }])
      const other = new Vault(new Uint8Array(32).fill(9), backend, canonical)
      await assert.rejects(async () => { for await (const _ of other.live(NOW)) { /* read */ } }, { name: 'VaultError' })
    })
  })
}

suite('memory', () => ({ backend: new MemoryVaultBackend(), cleanup: () => {} }))
suite('level', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vault-'))
  return { backend: new LevelVaultBackend({ path: join(dir, 'vault'), what: 'vault', damagedTables: 'refuse' }), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
})

describe('node/services vault files', () => {
  it('the vault key is made once, 0600, and reused; --no-vault opens nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-dir-'))
    try {
      const { mkdirSync } = await import('node:fs')
      mkdirSync(join(dir, 'keys'), { mode: 0o700 })
      const a = await vaultKey(dir)
      const b = await vaultKey(dir)
      assert.deepEqual(a, b)
      assert.equal(statSync(join(dir, 'keys', 'vault.key')).mode & 0o777, 0o600)
      assert.equal(readFileSync(join(dir, 'keys', 'vault.key'), 'utf8').trim().length, 64)
      const { chmodSync } = await import('node:fs')
      chmodSync(join(dir, 'keys', 'vault.key'), 0o640)
      await assert.rejects(vaultKey(dir), { name: 'InsecureKeyFileError' })
      chmodSync(join(dir, 'keys', 'vault.key'), 0o600)
      assert.equal(await openVault(dir, false, canonical), undefined)
      assert.ok(!readdirSync(dir).includes('vault'))
      const v = await openVault(dir, true, canonical)
      assert.ok(v !== undefined)
      await v.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
