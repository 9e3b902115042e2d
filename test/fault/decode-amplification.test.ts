/**
 * Decode amplification (issue 12 item 2): no message at the byte limit of
 * its decoder may cost a node more than 50 ms or 64 MiB. protobufjs used to
 * build every element of a repeated field before the codec counted them:
 * one 8 MiB sync frame of ~4 million empty entries blocked the event loop
 * for seconds and grew the process by gigabytes before the count check
 * threw. Every decoder is fed, each in a fresh process (no heap slack for the
 * decode to hide in):
 * - its worst valid input: every count at its limit, the byte limit filled;
 * - a flood: its byte limit filled with empty elements of its cheapest
 *   repeated field, which must be refused with a named error.
 * Time is the CPU time of the fastest of 5 runs (the machine is shared by
 * several builds: the work is what is measured; wall time is reported
 * beside it), memory the peak growth of the process's RSS during the first.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CODEC_ERRORS, DECODERS } from '../../protocol/codec/index.js'
import { record } from './helpers/scale.js'
import { floodInput, worstInput, type DecoderName } from './helpers/worst-inputs.js'

const run = promisify(execFile)
const PROBE = join(import.meta.dirname, 'helpers', 'decode-probe.ts')
const MAX_MS = 50
const MAX_GROWTH_MIB = 64
const CODEC_ERROR_NAMES = CODEC_ERRORS.map(E => E.name)

interface Probe { outcome: string, ms: number[], cpuMs: number[], rssGrowthMiB: number }

async function probe (dir: string, name: DecoderName, inputs: Uint8Array[]): Promise<Probe[]> {
  const files: string[] = []
  for (const [i, input] of inputs.entries()) {
    const f = join(dir, `${name}-${i}.bin`)
    await writeFile(f, input)
    files.push(f)
  }
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', PROBE, name, ...files], { maxBuffer: 1 << 20, timeout: 600_000 })
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Probe[]
}

const fmt = (p: Probe): string => `${p.outcome}, fastest ${Math.min(...p.cpuMs).toFixed(1)} ms CPU (${Math.min(...p.ms).toFixed(1)} ms wall), +${p.rssGrowthMiB.toFixed(1)} MiB`

describe('fault: decode amplification', function () {
  this.timeout(300_000)
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'decode-amp-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  for (const name of Object.keys(DECODERS) as DecoderName[]) {
    it(`${name}: its worst valid input and a flood of empty elements each cost < ${MAX_MS} ms and < ${MAX_GROWTH_MIB} MiB; the flood is refused by name`, async () => {
      const worst = worstInput(name)
      const flood = floodInput(name)
      const [w, f] = await probe(dir, name, [worst, flood])
      record('decode', { [`${name}.worst`]: `${worst.length} B: ${fmt(w)}`, [`${name}.flood`]: `${flood.length} B: ${fmt(f)}` })
      assert.equal(w.outcome, 'ok', `${name}: the worst valid input must decode (${fmt(w)})`)
      assert.ok(CODEC_ERROR_NAMES.includes(f.outcome), `${name}: the flood must end in a named codec error (${fmt(f)})`)
      for (const [what, p] of [['worst', w], ['flood', f]] as const) {
        assert.ok(Math.min(...p.cpuMs) < MAX_MS, `${name} ${what}: ${fmt(p)}`)
        assert.ok(p.rssGrowthMiB < MAX_GROWTH_MIB, `${name} ${what}: ${fmt(p)}`)
      }
    })
  }
})
