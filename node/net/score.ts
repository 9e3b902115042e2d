/**
 * Gossipsub peer-score policy: pure values, no state.
 *
 * Our network is permissioned (the roster gater admits members only), small
 * (20–200 orgs) and bursty (long quiet periods, then bulk attestations). So:
 * - P4 (invalid messages) is the penalty that matters: a member's node that
 *   keeps sending entries our validator rejects is broken or hostile;
 * - P3/P3b (mesh delivery deficit) are off: quiet hours are normal here and
 *   must not push honest peers out of the mesh;
 * - P6 (IP colocation) is off: Sybils cannot connect at all, and an org may
 *   run several nodes behind one address;
 * - positive credit (P1 time in mesh, P2 first deliveries) is small and
 *   capped (`topicScoreCap` 10), so good behaviour cannot bank enough credit
 *   to hide a burst of invalid messages.
 *
 * Arithmetic with these numbers (score = Σ topic scores, capped at +10 for
 * the positive part, P4 = −20 × invalid²):
 * - 1 rejected message:  ≤ 10 − 20  = −10 → at most the gossip threshold:
 *   gossip (IHAVE/IWANT) with it stops once any positive credit is gone;
 * - 2 rejected messages: ≤ 10 − 80  = −70 → below publish (−50): we stop
 *   flood-publishing to it;
 * - 3 rejected messages: ≤ 10 − 180 = −170 → below graylist (−80): all its
 *   RPCs are ignored.
 * The invalid counter decays ×0.995 per second (half-life ≈ 138 s); a peer
 * graylisted by 3 rejects needs ≈ 1 min without new rejects to climb back
 * above −80 (√(90/20) ≈ 2.12 ⇒ 3 × 0.995^t < 2.12 ⇒ t ≈ 69 s), one that sent
 * 10 needs ≈ 5 min. Scores are kept 1 h after a disconnect (`retainScore`)
 * so reconnecting does not wash them.
 */
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'

/** Weight per squared invalid message; see the arithmetic above */
export const INVALID_MESSAGE_WEIGHT = -20
/** Per decay interval (1 s): half-life ≈ 138 s */
export const INVALID_MESSAGE_DECAY = 0.995

export const GOSSIP_SCORE_THRESHOLDS: PeerScoreThresholds = Object.freeze({
  /** Below: no gossip (IHAVE/IWANT) exchanged with the peer */
  gossipThreshold: -10,
  /** Below: our own messages are not flood-published to the peer */
  publishThreshold: -50,
  /** Below: every RPC from the peer is ignored */
  graylistThreshold: -80,
  /** Peer exchange is off (doPX false); keep PX unreachable anyway */
  acceptPXThreshold: 1000,
  /** Median mesh score below which we opportunistically graft better peers */
  opportunisticGraftThreshold: 5
})

/** Score parameters for one of our topics */
export function topicScoreParams (): TopicScoreParams {
  return {
    topicWeight: 1,
    // P1: +0.01 per second in the mesh, at most +3 (after 5 min)
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 300,
    // P2: +1 per first delivery of a valid message, counter capped at 10, decays ×0.9/s
    firstMessageDeliveriesWeight: 1,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 10,
    // P3: off (weight 0); other fields only need to pass validation
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 100,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5000,
    // P3b: off
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    // P4: the one that bites
    invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
    invalidMessageDeliveriesDecay: INVALID_MESSAGE_DECAY
  }
}

/** Peer score parameters scoring the given topics */
export function peerScoreParams (topics: Iterable<string>): Partial<PeerScoreParams> {
  const byTopic: Record<string, TopicScoreParams> = {}
  for (const topic of topics) byTopic[topic] = topicScoreParams()
  return {
    topics: byTopic,
    topicScoreCap: 10,
    appSpecificScore: () => 0,
    appSpecificWeight: 1,
    IPColocationFactorWeight: 0,
    IPColocationFactorThreshold: 10,
    // P7 (re-graft during backoff, broken IWANT promises): library defaults
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 0,
    behaviourPenaltyDecay: 0.2,
    decayInterval: 1000,
    decayToZero: 0.1,
    retainScore: 3600 * 1000
  }
}
