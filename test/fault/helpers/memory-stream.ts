/**
 * Two libp2p streams wired to each other in memory, with nothing between
 * them but a microtask: the real `AbstractStream` state machine (the base
 * class of yamux streams), so the node's handlers see a genuine `Stream`,
 * at a small fraction of the cost of @libp2p/utils' `streamPair` (which
 * runs a mock muxer and connection per pair, ~10 ms here). Fuzzing 10,000
 * sync exchanges needs it.
 */
import { AbstractStream, type SendResult } from '@libp2p/utils'
import type { AbortOptions, Logger, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

const quiet: Logger = Object.assign(() => {}, {
  enabled: false,
  error: () => {},
  trace: () => {},
  newScope: () => quiet
}) as unknown as Logger

let nextId = 0

class MemoryStream extends AbstractStream {
  peer: MemoryStream | undefined

  sendData (data: Uint8ArrayList): SendResult {
    const chunk = data.sublist()
    queueMicrotask(() => { this.peer?.onData(chunk) })
    return { sentBytes: data.byteLength, canSendMore: true }
  }

  sendReset (): void {
    queueMicrotask(() => { this.peer?.onRemoteReset() })
  }

  async sendCloseWrite (_options?: AbortOptions): Promise<void> {
    queueMicrotask(() => { this.peer?.onRemoteCloseWrite() })
  }

  async sendCloseRead (_options?: AbortOptions): Promise<void> {
    queueMicrotask(() => { this.peer?.onRemoteCloseRead() })
  }

  sendPause (): void {}
  sendResume (): void {}
}

/** [outbound, inbound]: what one side writes the other reads. */
export function memoryStreamPair (protocol = ''): [Stream, Stream] {
  const id = String(nextId++)
  const out = new MemoryStream({ id, direction: 'outbound', log: quiet, protocol } as ConstructorParameters<typeof AbstractStream>[0])
  const inb = new MemoryStream({ id, direction: 'inbound', log: quiet, protocol } as ConstructorParameters<typeof AbstractStream>[0])
  out.peer = inb
  inb.peer = out
  return [out, inb]
}
