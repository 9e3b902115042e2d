/** ConsoleSessions: login links expire and work once, sessions expire, CSRF tokens belong to their session; with a test clock. */
import assert from 'node:assert/strict'
import { ConsoleSessions } from '../../../../node/console/sessions.js'
import { ConsoleAssets, PAGES, type PageName } from '../../../../node/console/assets.js'
import { safeFileName } from '../../../../node/console/files.js'

describe('console sessions', () => {
  let now = 1_000_000
  const clock = (): number => now
  const make = (): ConsoleSessions => new ConsoleSessions({ linkTtlMs: 60_000, sessionTtlMs: 3_600_000, maxEntries: 3, clock })

  it('a login link works once', () => {
    const s = make()
    const { token } = s.issueLink()
    const session = s.redeem(token)
    assert.equal(s.session(session.id).csrf, session.csrf)
    assert.throws(() => s.redeem(token), { name: 'ConsoleRefusedError', reason: 'login_link_invalid' })
  })

  it('a login link expires', () => {
    const s = make()
    const { token, expiresAt } = s.issueLink()
    now = expiresAt
    assert.throws(() => s.redeem(token), { name: 'ConsoleRefusedError', reason: 'login_link_invalid' })
    now = 1_000_000
  })

  it('a session expires; an unknown one is no session', () => {
    const s = make()
    const { id, expiresAt } = s.redeem(s.issueLink().token)
    assert.throws(() => s.session('forged'), { reason: 'no_session' })
    assert.throws(() => s.session(undefined), { reason: 'no_session' })
    now = expiresAt - 1
    s.session(id)
    now = expiresAt
    assert.throws(() => s.session(id), { reason: 'no_session' })
    now = 1_000_000
  })

  it('CSRF: missing and foreign tokens are refused by name', () => {
    const s = make()
    const a = s.redeem(s.issueLink().token)
    const b = s.redeem(s.issueLink().token)
    s.checkCsrf(a.id, a.csrf)
    assert.throws(() => s.checkCsrf(a.id, undefined), { reason: 'csrf_missing' })
    assert.throws(() => s.checkCsrf(a.id, ''), { reason: 'csrf_missing' })
    assert.throws(() => s.checkCsrf(a.id, b.csrf), { reason: 'csrf_mismatch' })
    assert.throws(() => s.checkCsrf('forged', a.csrf), { reason: 'no_session' })
  })

  it('links and sessions are bounded; logout ends a session', () => {
    const s = make()
    const tokens = [s.issueLink(), s.issueLink(), s.issueLink()].map(l => l.token)
    assert.throws(() => s.issueLink(), { reason: 'too_many_sessions' })
    const ids = tokens.map(t => s.redeem(t).id)
    assert.throws(() => s.redeem(s.issueLink().token), { reason: 'too_many_sessions' })
    s.end(ids[0])
    assert.throws(() => s.session(ids[0]), { reason: 'no_session' })
    assert.equal(s.counts.sessions, 2)
  })
})

describe('console assets', () => {
  it('every page renders with its script, the CSRF token escaped, and no inline script or style', () => {
    const assets = new ConsoleAssets()
    for (const name of Object.keys(PAGES) as PageName[]) {
      const html = assets.page(name, { csrf: '"><script>x</script>' })
      assert.ok(!html.includes('<script>x'), name)
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, `${name}: inline script`)
      assert.doesNotMatch(html, /\sstyle=|<style/, `${name}: inline style`)
      assert.doesNotMatch(html, /\{\{\w+\}\}/, `${name}: unfilled placeholder`)
      assert.doesNotMatch(html, /https?:\/\//, `${name}: an external URL`)
      const script = PAGES[name].script
      if (script !== undefined) assert.ok(html.includes(`src="/console/assets/${script}"`))
    }
  })

  it('uploaded file names cannot climb out of their folder', () => {
    assert.equal(safeFileName('../../etc/passwd'), 'passwd')
    assert.equal(safeFileName('..'), '_')
    assert.equal(safeFileName('a\\b\\c.png'), 'c.png')
    assert.equal(safeFileName(''), 'evidence')
    assert.equal(safeFileName('photo 1 (copy).jpg'), 'photo 1 _copy_.jpg')
  })
})
