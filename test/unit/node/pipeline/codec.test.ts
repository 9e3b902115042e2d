/**
 * The pipeline's records in Redis: a blocklist batch decodes to index inputs
 * that make a worker's BlocklistIndex explain exactly as the node's does;
 * seen batches round-trip; damaged bytes are a named error, never a partial
 * result. Listing entries: each malformed shape has its dead-letter reason.
 */
import assert from 'node:assert/strict'
import { BlocklistIndex, PROBES, type IndexInput } from '../../../../node/match/index.js'
import { decodeBlocklist, decodeSeen, encodeBlocklist, encodeSeen, SeenBatchBuilder, seenBatchOf } from '../../../../node/pipeline/codec.js'
import { entryValue, parseBatch, parseEntry } from '../../../../node/pipeline/entry.js'
import { batchOfFields, parseStreamReply } from '../../../../node/pipeline/stream-batch.js'
import { integerReply, replyEnd, RespWriter } from '../../../../node/pipeline/resp.js'
import { createHmac } from 'node:crypto'
import { CacheKeyer, cacheKeyOf, rawCacheKeyOf } from '../../../../node/pipeline/cache-key.js'

const fp = (b: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (b * 31 + i) & 0xff)
const orgs = (n: number, p = 'org'): Array<{ org: string }> => Array.from({ length: n }, (_, i) => ({ org: `${p}-${i}` }))

describe('pipeline codec', () => {
  it('a blocklist batch rebuilds an index that explains every fingerprint as the original', () => {
    const inputs: IndexInput[] = [
      { fingerprint: fp(1), kind: 'email', status: 'listed', positive: orgs(2), negative: [], expires: 1_900_000_000_000, confirmations: 3 },
      { fingerprint: fp(2), kind: 'phone', status: 'disputed', positive: orgs(12), negative: orgs(3, 'neg'), expires: Number.POSITIVE_INFINITY },
      { fingerprint: fp(3), kind: undefined, status: 'candidate', positive: orgs(1), negative: [], expires: 5 }
    ]
    const original = BlocklistIndex.fromExplanations(inputs)
    const decoded = decodeBlocklist(encodeBlocklist(inputs.map(x => ({ x, from: 'absent' as const }))))
    assert.equal(decoded.length, 3)
    assert.ok(decoded.every(d => d.from === 'absent'))
    const copy = BlocklistIndex.fromExplanations(decoded)
    for (const i of inputs) assert.deepEqual(copy.explain(i.fingerprint), original.explain(i.fingerprint))
  })

  it('damaged blocklist bytes are a PipelineRecordError: truncated, trailing, unknown org, unknown version', () => {
    const good = encodeBlocklist([{ x: { fingerprint: fp(1), kind: 'email', status: 'listed', positive: orgs(2), negative: [], expires: 1 } }])
    const damaged: Buffer[] = [good.subarray(0, good.length - 1), Buffer.concat([good, Buffer.from([0])]), Buffer.from([2, ...good.subarray(1)])]
    const badOrg = Buffer.from(good)
    badOrg.writeUInt16LE(999, badOrg.length - 2) // the last org id
    damaged.push(badOrg)
    for (const b of damaged) assert.throws(() => decodeBlocklist(b), { name: 'PipelineRecordError' })
  })

  it('seen batches round-trip (fingerprints as 16-byte prefixes) and damaged ones throw', () => {
    const listings = [{ listingId: 'L1', probes: [0, 2], fps: [fp(1), fp(2)] }, { listingId: 'Lé', probes: [], fps: [] }]
    const buf = encodeSeen(listings)
    const batch = decodeSeen(buf, 7)
    assert.deepEqual(batch, seenBatchOf(listings, 7))
    assert.deepEqual(batch.listingIds, ['L1', 'Lé'])
    assert.deepEqual([...batch.fps.subarray(0, 16)], [...fp(1).subarray(0, 16)])
    assert.deepEqual([...batch.fps.subarray(16, 32)], new Array(16).fill(0))
    assert.throws(() => decodeSeen(buf.subarray(0, buf.length - 3), 0), { name: 'PipelineRecordError' })
    const badProbe = Buffer.from(buf)
    badProbe[1 + 4 + 2 + 2 + 1] = PROBES.length // L1's first probe
    assert.throws(() => decodeSeen(badProbe, 0), { name: 'PipelineRecordError' })
  })

  it('a seen batch built from the core\'s arrays is byte for byte encodeSeen, and the store batch seenBatchOf', () => {
    const listings = Array.from({ length: 300 }, (_, i) => ({ listingId: `L${i}é${'x'.repeat(i % 7)}`, probes: Array.from({ length: i % 6 }, (_, j) => (i + j) % PROBES.length), fps: Array.from({ length: i % 6 }, (_, j) => fp(i * 7 + j)) }))
    const builder = new SeenBatchBuilder()
    for (const l of listings) {
      const fps = new Uint8Array(l.fps.length * 32) // the core's layout: one 32-byte fingerprint per identifier
      l.fps.forEach((f, j) => fps.set(f, j * 32))
      builder.add(l.listingId, l.probes.length, Int32Array.from(l.probes), fps)
    }
    const kept = listings.filter(l => l.probes.length > 0) // listings without a valid identifier are not remembered
    assert.equal(builder.listings, kept.length)
    assert.deepEqual(builder.encode(), encodeSeen(kept))
    assert.deepEqual(builder.batch(9), seenBatchOf(kept, 9))
  })
})

describe('pipeline listing entries', () => {
  const b = (...s: string[]): Buffer[] => s.map(x => Buffer.from(x))
  it('a well-formed entry: listing id and identifier values as bytes; other fields ignored', () => {
    const e = parseEntry('1-0', b('listing_id', 'L1', 'email', 'a@example.org', 'colour', 'red'))
    assert.ok(!('reason' in e))
    assert.equal(e.listingId, 'L1')
    assert.equal(entryValue(e, 1)?.toString(), 'a@example.org')
    assert.equal(entryValue(e, 0), undefined)
  })
  it('each malformed shape has its reason', () => {
    const cases: Array<[Buffer[], string]> = [
      [b('email', 'a@example.org'), 'missing_listing_id'],
      [b('listing_id', '  ', 'email', 'a@example.org'), 'missing_listing_id'],
      [b('listing_id', 'x'.repeat(1025), 'email', 'a@example.org'), 'listing_id_too_long'],
      [[Buffer.from('listing_id'), Buffer.from([0xff, 0xfe]), Buffer.from('email'), Buffer.from('a@b.c')], 'bad_utf8'],
      [b('listing_id', 'L1', 'email', 'a@example.org', 'email', 'b@example.org'), 'duplicate_field'],
      [b('listing_id', 'L1', 'colour', 'red'), 'no_identifier_fields'],
      [b('listing_id', 'L1', 'seller_name', 'y'.repeat(70_000)), 'entry_too_large']
    ]
    for (const [fields, reason] of cases) assert.equal((parseEntry('1-0', fields) as { reason?: string }).reason, reason)
  })
})

describe('pipeline reads at the RESP level', () => {
  /** An XREADGROUP reply as Redis writes it: *1 *2 $key *n (*2 $id *2k fields)×n; null fields for a deleted entry. */
  const reply = (entries: Array<[string, string[] | null]>): Buffer => {
    const bulk = (s: string | Buffer): string => { const b = Buffer.from(s); return `$${b.length}\r\n${b.toString('latin1')}\r\n` }
    let out = `*1\r\n*2\r\n${bulk('listings')}*${entries.length}\r\n`
    for (const [id, fields] of entries) out += `*2\r\n${bulk(id)}` + (fields === null ? '*-1\r\n' : `*${fields.length}\r\n${fields.map(bulk).join('')}`)
    return Buffer.from(out, 'latin1')
  }
  it('a reply parsed in place gives what a client parser\'s Buffers give: ids, values, dead letters', () => {
    const entries: Array<[string, string[]]> = [
      ['1-0', ['listing_id', 'L1', 'email', 'a@example.org', 'phone', '+44 20 7946 0000']],
      ['1-1', ['listing_id', 'Lé', 'colour', 'red', 'seller_account', 'shopmart:s1']],
      ['2-0', ['email', 'nobody@example.org']],
      ['2-1', ['listing_id', 'L4', 'email', 'a@x.org', 'email', 'b@x.org']]
    ]
    const b = parseStreamReply(reply(entries))
    assert.equal(b.n, 4)
    assert.deepEqual(b.ids, ['1-0', '1-1', '2-0', '2-1'])
    const fromFields = parseBatch(batchOfFields(entries.map(([id, f]) => ({ id, fields: f.map(x => Buffer.from(x)) }))))
    const inPlace = parseBatch(b)
    const view = (r: typeof inPlace): unknown => ({
      listings: r.listings.map(e => ({ id: e.id, listingId: e.listingId, values: Array.from({ length: 8 }, (_, c) => entryValue(e, c)?.toString()) })),
      dead: r.dead
    })
    assert.deepEqual(view(inPlace), view(fromFields))
    assert.deepEqual(view(inPlace), {
      listings: [
        { id: '1-0', listingId: 'L1', values: [undefined, 'a@example.org', '+44 20 7946 0000', undefined, undefined, undefined, undefined, undefined] },
        { id: '1-1', listingId: 'Lé', values: ['shopmart:s1', undefined, undefined, undefined, undefined, undefined, undefined, undefined] }
      ],
      dead: [{ id: '2-0', reason: 'missing_listing_id' }, { id: '2-1', reason: 'duplicate_field', listingId: 'L4' }]
    })
  })
  it('nothing read, a deleted entry, and damaged replies', () => {
    assert.equal(parseStreamReply(Buffer.from('*-1\r\n')).n, 0)
    const b = parseStreamReply(reply([['1-0', null], ['1-1', ['listing_id', 'L2', 'email', 'a@b.org']]]))
    assert.deepEqual(parseBatch(b).dead, [{ id: '1-0', reason: 'trimmed' }])
    const whole = reply([['1-0', ['listing_id', 'L1', 'email', 'a@example.org']]])
    assert.throws(() => parseStreamReply(whole.subarray(0, whole.length - 5)), { name: 'PipelineRecordError' })
    assert.throws(() => parseStreamReply(Buffer.from(':1\r\n')), { name: 'PipelineRecordError' })
  })
  it('replyEnd finds where each reply ends, and -1 while one is incomplete', () => {
    const replies = ['+OK\r\n', '-ERR no\r\n', ':42\r\n', '$-1\r\n', '*-1\r\n', '$5\r\nhe\r\no\r\n', '*2\r\n*1\r\n:1\r\n$3\r\nabc\r\n', '*0\r\n']
    const all = Buffer.from(replies.join(''))
    let at = 0
    for (const r of replies) {
      const end = replyEnd(all, at, all.length)
      assert.equal(end, at + Buffer.byteLength(r))
      for (let cut = at; cut < end; cut++) assert.equal(replyEnd(all, at, cut), -1, `incomplete ${JSON.stringify(r)} at ${cut - at}`)
      at = end
    }
  })
  it('RespWriter writes commands as RESP arrays of bulk strings (UTF-8, bytes, numbers)', () => {
    const w = new RespWriter(8)
    w.cmd('XADD', 'listings', '*', 'listing_id', 'Lé', 'n', 12).cmd('PING')
    w.command(2).arg('ECHO').arg(Buffer.from([0, 255]))
    assert.equal(w.take().toString('latin1'), '*7\r\n$4\r\nXADD\r\n$8\r\nlistings\r\n$1\r\n*\r\n$10\r\nlisting_id\r\n$3\r\nL\xc3\xa9\r\n$1\r\nn\r\n$2\r\n12\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\n\x00\xff\r\n')
    assert.equal(w.length, 0)
  })
  it('integer replies; other replies are a RedisReplyError', () => {
    assert.equal(integerReply(Buffer.from(':1234\r\n')), 1234)
    assert.throws(() => integerReply(Buffer.from('+OK\r\n')), { name: 'RedisReplyError' })
  })
})

describe('pipeline cache keys', () => {
  it('depend on the secret, the epoch, the kind and the value, and are 16 bytes', () => {
    const s1 = Buffer.alloc(32, 1)
    const v = new TextEncoder().encode('+447400123456')
    const k = cacheKeyOf(s1, 1, 'phone', v)
    assert.equal(k.length, 16)
    assert.deepEqual(cacheKeyOf(s1, 1, 'phone', v), k)
    for (const other of [cacheKeyOf(Buffer.alloc(32, 2), 1, 'phone', v), cacheKeyOf(s1, 2, 'phone', v), cacheKeyOf(s1, 1, 'email', v), cacheKeyOf(s1, 1, 'phone', v.subarray(1))]) assert.notDeepEqual(other, k)
  })

  it('the worker\'s CacheKeyer gives cacheKeyOf\'s keys byte for byte (short, long and empty values, every kind)', () => {
    const secret = Uint8Array.from({ length: 32 }, (_, i) => i * 13 + 5)
    const keyer = new CacheKeyer(secret, 7)
    const kinds = ['phone', 'email', 'seller-account', 'payment-account', 'domain']
    for (let len = 0; len < 600; len += 37) {
      const v = Uint8Array.from({ length: len }, (_, i) => (i * 31 + len) & 0xff)
      for (const kind of kinds) assert.deepEqual(keyer.keyOf(kind, v), cacheKeyOf(secret, 7, kind, v), `${kind}, ${len} bytes`)
    }
  })

  it('raw keys: HMAC-SHA256 under the raw tag of epoch, default country, kind and cell text; never a canonical key of the same bytes', () => {
    const secret = Buffer.alloc(32, 9)
    const raw = Buffer.from('07400 123456')
    const epoch = Buffer.from([0, 0, 0, 3])
    const msg = Buffer.concat([Buffer.from('alliance-node/v1/pipeline-raw-cache-key\0'), epoch, Buffer.from('GB\0phone\0'), raw])
    const k = rawCacheKeyOf(secret, 3, 'GB', 'phone', raw)
    assert.deepEqual(k, createHmac('sha256', secret).update(msg).digest().subarray(0, 16))
    for (const other of [rawCacheKeyOf(secret, 3, '', 'phone', raw), rawCacheKeyOf(secret, 3, 'FR', 'phone', raw), rawCacheKeyOf(secret, 4, 'GB', 'phone', raw),
      rawCacheKeyOf(secret, 3, 'GB', 'email', raw), rawCacheKeyOf(Buffer.alloc(32, 8), 3, 'GB', 'phone', raw), cacheKeyOf(secret, 3, 'phone', raw)]) assert.notDeepEqual(other, k)
  })

  it('the worker\'s raw CacheKeyer gives rawCacheKeyOf\'s keys byte for byte, of a whole buffer or a range of one', () => {
    const secret = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)
    for (const country of ['', 'GB']) {
      const keyer = new CacheKeyer(secret, 2, country)
      for (let len = 0; len < 600; len += 41) {
        const v = Uint8Array.from({ length: len + 6 }, (_, i) => (i * 17 + len) & 0xff)
        for (const kind of ['phone', 'email', 'domain']) {
          assert.deepEqual(keyer.keyOf(kind, v), rawCacheKeyOf(secret, 2, country, kind, v), `${kind}, ${len} bytes`)
          assert.deepEqual(keyer.keyOf(kind, v, 3, 3 + len), rawCacheKeyOf(secret, 2, country, kind, v.subarray(3, 3 + len)), `${kind}, ${len} bytes at 3`)
        }
      }
    }
    assert.throws(() => new CacheKeyer(secret, 2, 'gb'), RangeError)
  })
})
