/** libp2p's ping protocol id, used to probe whether any protocol can be opened */
export const PING_PROTOCOL = '/ipfs/ping/1.0.0'
