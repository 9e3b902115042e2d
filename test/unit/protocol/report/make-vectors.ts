/**
 * Writes test/vectors/report.json: a report's encoding, digest and author
 * signature, a receipt, the STREAM keys, nonces and ciphertexts, and an
 * HPKE-sealed content key, all deterministic, so another implementation
 * can check its encoder, tagged hashes, signatures and ciphers byte for
 * byte. Keys are published test keys only: RFC 8032 §7.1 TEST 1 (author)
 * and TEST 2 (recipient), RFC 9180 A.2.1 (box key and ephemeral key).
 * Run: npx tsx test/unit/protocol/report/make-vectors.ts
 */
import { writeFileSync } from 'node:fs'
import { fromHex, toHex, utf8 } from '../../../../protocol/bytes.js'
import { signerFromSeed } from '../../../../protocol/ed25519.js'
import {
  createReceipt, encodeReport, reportDigest, reportSignatureMessage, signReport, type Report
} from '../../../../protocol/report/index.js'
import { decodeSignedReceipt } from '../../../../protocol/report/codec.js'
import { contentKeyCommitment, reportSealInfo, sealContentKey } from '../../../../protocol/report/hpke.js'
import { receiptSignatureMessage } from '../../../../protocol/report/receipt.js'
import { StreamSealer, chunked, streamAad, streamKey, streamNonce } from '../../../../protocol/report/stream.js'
import { REPORT_TAGS } from '../../../../protocol/report/tags.js'
import { createHash } from 'node:crypto'

export const RFC8032_TEST1_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
export const RFC8032_TEST2_SEED = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'
/** RFC 9180 A.2.1 recipient and ephemeral key material. */
export const RFC9180_SKRM = '8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb'
export const RFC9180_PKRM = '4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a'
export const RFC9180_IKME = '909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b'

const ALLIANCE = 'vector-alliance'
const TIME = 1_764_000_000_000
const EVIDENCE = utf8('test purchase photo, not really a photo\n')

export function vectorReport (authorKey: Uint8Array): Report {
  return {
    alliance: ALLIANCE,
    id: fromHex('00112233445566778899aabbccddeeff'),
    author: 'brand-a',
    authorKey,
    created: TIME,
    recipients: ['police-gb', 'police-fr'],
    title: 'Counterfeit ACME trainers',
    reference: 'CASE-1',
    listings: [{ url: 'https://shopmarket.example/item/123', platform: 'ShopMarket', listingId: '123', title: 'ACME Runner 2', observed: TIME - 86_400_000 }],
    sellers: [{ name: 'best-deals-4u', platform: 'ShopMarket', identifiers: [{ kind: 'email', value: 'best.deals4u@mail.example' }, { kind: 'phone', value: '+442079460958' }] }],
    rights: [{ type: 'trademark', mark: 'ACME', registrations: ['UK00003000001'], jurisdiction: 'GB' }],
    evidence: [{ name: 'photo.jpg', size: EVIDENCE.length, mediaType: 'image/jpeg', sha256: new Uint8Array(createHash('sha256').update(EVIDENCE).digest()), description: 'the item' }],
    narrative: 'Bought on 1 June; counterfeit per the lab report. Ünïcödé survives.'
  }
}

async function streamVector (contentKey: Uint8Array, reportId: Uint8Array, index: number, plaintext: Uint8Array): Promise<unknown> {
  const key = streamKey(contentKey, reportId, index)
  const sealer = new StreamSealer(key, streamAad(reportId, index))
  const chunks: Uint8Array[] = []
  for await (const c of chunked((async function * () { yield plaintext })())) chunks.push(sealer.seal(c.data, c.last))
  const all = createHash('sha256')
  for (const c of chunks) all.update(c)
  return {
    index,
    key: toHex(key),
    aad: toHex(streamAad(reportId, index)),
    plaintextLength: plaintext.length,
    plaintextSha256: toHex(createHash('sha256').update(plaintext).digest()),
    chunks: chunks.length,
    nonces: chunks.map((_, i) => toHex(streamNonce(i, i === chunks.length - 1))),
    lastChunk: toHex(chunks[chunks.length - 1]),
    ciphertextSha256: toHex(all.digest())
  }
}

/** Stream 1's plaintext: bytes i mod 251, one byte more than a chunk, so two chunks. */
export function twoChunkPlaintext (): Uint8Array {
  return Uint8Array.from({ length: 65_537 }, (_, i) => i % 251)
}

export async function makeReportVectors (): Promise<unknown> {
  const author = signerFromSeed(fromHex(RFC8032_TEST1_SEED))
  const recipient = signerFromSeed(fromHex(RFC8032_TEST2_SEED))
  const report = vectorReport(author.publicKey)
  const reportBytes = encodeReport(report)
  const signed = signReport(author, report)
  const receipt = createReceipt({ signer: recipient, alliance: ALLIANCE, recipient: 'police-gb', reportId: report.id, signedReportDigest: signed.digest, received: TIME + 60_000 })
  const receiptBytes = decodeSignedReceipt(receipt).receipt
  const contentKey = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f')
  const info = reportSealInfo(ALLIANCE, report.id)
  const sealed = await sealContentKey(fromHex(RFC9180_PKRM), info, contentKey, fromHex(RFC9180_IKME))
  return {
    description: 'Report encoding, tagged digests and Ed25519 signatures (author: RFC 8032 TEST 1 key; recipient: TEST 2 key); STREAM (ChaCha20-Poly1305, age-style nonces) keys and ciphertexts; HPKE base mode DHKEM(X25519)/HKDF-SHA256/ChaCha20Poly1305 sealing of the content key to the RFC 9180 A.2.1 recipient key with the A.2.1 ephemeral key. Regenerate with: npx tsx test/unit/protocol/report/make-vectors.ts',
    tags: REPORT_TAGS,
    alliance: ALLIANCE,
    author: { seed: RFC8032_TEST1_SEED, publicKey: toHex(author.publicKey) },
    report: {
      bytes: toHex(reportBytes),
      digest: toHex(reportDigest(reportBytes)),
      signedMessage: toHex(reportSignatureMessage(reportBytes)),
      signature: toHex(signed.signature),
      signedReport: toHex(signed.bytes),
      signedReportDigest: toHex(signed.digest)
    },
    evidence: { contents: toHex(EVIDENCE), sha256: toHex(report.evidence[0].sha256) },
    receipt: {
      recipient: { seed: RFC8032_TEST2_SEED, publicKey: toHex(recipient.publicKey) },
      bytes: toHex(receiptBytes),
      signedMessage: toHex(receiptSignatureMessage(receiptBytes)),
      signedReceipt: toHex(receipt)
    },
    contentKey: toHex(contentKey),
    streams: [
      await streamVector(contentKey, report.id, 0, signed.bytes),
      await streamVector(contentKey, report.id, 1, twoChunkPlaintext()),
      await streamVector(contentKey, report.id, 2, new Uint8Array(0))
    ],
    hpke: {
      recipientPrivateKey: RFC9180_SKRM,
      recipientPublicKey: RFC9180_PKRM,
      ekm: RFC9180_IKME,
      info: toHex(info),
      enc: toHex(sealed.enc),
      ciphertext: toHex(sealed.ciphertext),
      keyCommitment: toHex(contentKeyCommitment(contentKey, report.id))
    }
  }
}

if (process.argv[1]?.endsWith('make-vectors.ts') === true) {
  writeFileSync(new URL('../../../vectors/report.json', import.meta.url), JSON.stringify(await makeReportVectors(), null, 2) + '\n')
}
