import assert from 'node:assert/strict'
import { createLogger, isSecretFieldName, REDACTED, type LogLevel } from '../../../node/logger.js'

function capture (level: LogLevel): { lines: string[], logger: ReturnType<typeof createLogger> } {
  const lines: string[] = []
  const logger = createLogger({ level, sink: line => { lines.push(line) }, now: () => new Date('2025-01-02T03:04:05.000Z') })
  return { lines, logger }
}

describe('logger', () => {
  it('writes one JSON object per event with time, level, component, msg and context', () => {
    const { lines, logger } = capture('debug')
    logger.forComponent('net:host').info('peer connected', { peer: '12D3KooWabc', count: 3 })
    assert.equal(lines.length, 1)
    assert.ok(!lines[0].includes('\n'))
    assert.deepEqual(JSON.parse(lines[0]), {
      t: '2025-01-02T03:04:05.000Z',
      level: 'info',
      component: 'net:host',
      msg: 'peer connected',
      peer: '12D3KooWabc',
      count: 3
    })
  })

  it('filters by level', () => {
    const { lines, logger } = capture('warn')
    const log = logger.forComponent('x')
    log.debug('d')
    log.info('i')
    log.warn('w')
    log.error('e')
    assert.deepEqual(lines.map(l => JSON.parse(l).level), ['warn', 'error'])
    assert.equal(log.enabled('info'), false)
    assert.equal(log.enabled('error'), true)
  })

  it('redacts secret-looking fields at any depth, keeps public keys', () => {
    const { lines, logger } = capture('info')
    const secret = 'c0ffee'.repeat(10)
    logger.forComponent('keys').info('loaded', {
      key: secret,
      privateKey: secret,
      secret,
      token: secret,
      apiToken: secret,
      nested: { signKey: secret, deeper: [{ password: secret }] },
      publicKey: 'pub-ok',
      peerId: '12D3KooWabc'
    })
    const line = lines[0]
    assert.ok(!line.includes(secret), 'secret value leaked')
    const ev = JSON.parse(line)
    for (const f of ['key', 'privateKey', 'secret', 'token', 'apiToken']) assert.equal(ev[f], REDACTED, f)
    assert.equal(ev.nested.signKey, REDACTED)
    assert.equal(ev.nested.deeper[0].password, REDACTED)
    assert.equal(ev.publicKey, 'pub-ok')
    assert.equal(ev.peerId, '12D3KooWabc')
  })

  it('never dumps raw bytes, even under an innocent name', () => {
    const { lines, logger } = capture('info')
    const bytes = new Uint8Array(32).fill(0xab)
    logger.forComponent('x').info('m', { data: bytes, buf: Buffer.from(bytes) })
    const ev = JSON.parse(lines[0])
    assert.equal(ev.data, '[32 bytes]')
    assert.equal(ev.buf, '[32 bytes]')
    assert.ok(!lines[0].includes('ab'.repeat(4)))
    assert.ok(!lines[0].includes('171'))
  })

  it('renders errors, bigints and cycles; context cannot override the envelope', () => {
    const { lines, logger } = capture('info')
    const cyc: Record<string, unknown> = { a: 1 }
    cyc.self = cyc
    const err = Object.assign(new Error('boom'), { reason: 'bad_thing' })
    logger.forComponent('x').error('failed', { err, n: 10n, cyc, level: 'debug', component: 'spoof' })
    const ev = JSON.parse(lines[0])
    assert.deepEqual(ev.err, { name: 'Error', message: 'boom', reason: 'bad_thing' })
    assert.equal(ev.n, '10')
    assert.equal(ev.cyc.self, '[circular]')
    assert.equal(ev.level, 'error')
    assert.equal(ev.component, 'x')
  })

  it('survives a throwing sink', () => {
    const logger = createLogger({ level: 'info', sink: () => { throw new Error('disk full') } })
    logger.forComponent('x').info('still fine')
  })

  it('classifies field names', () => {
    for (const n of ['key', 'privateKey', 'secret', 'token', 'sessionToken', 'seed', 'password', 'epochKeys']) assert.ok(isSecretFieldName(n), n)
    for (const n of ['peerId', 'publicKey', 'pubKey', 'keyCount', 'msg', 'tokenCount']) assert.ok(!isSecretFieldName(n), n)
  })
})
