/**
 * The protobufjs types of alliance.proto (protocol/pb/descriptor.ts), built
 * once from the descriptor. Its own module so the codec's files (entries,
 * bodies, rosters, envelopes) share one Root instead of each loading one.
 */
import protobuf from 'protobufjs'
import { descriptor } from '../pb/descriptor.js'

const root = protobuf.Root.fromJSON(descriptor as unknown as protobuf.INamespace)
const type = (name: string): protobuf.Type => root.lookupType(`alliance.v1.${name}`)
export const T = {
  Entry: type('Entry'),
  Roster: type('Roster'),
  SignedRoster: type('SignedRoster'),
  Segment: type('Segment'),
  Equivocation: type('Equivocation'),
  SyncRequest: type('SyncRequest'),
  SyncResponse: type('SyncResponse')
}
