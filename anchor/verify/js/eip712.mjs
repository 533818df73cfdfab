// Agency signatures (PROTOCOL.md §8, §9.3): EIP-712 typed data over the record's commitment,
// domain (name "evanchor", version "1", chainId, verifyingContract) of the log; secp256k1
// recovery of r || s || v with v 27 or 28 and s in the lower half (EIP-2).

import { secp256k1 } from '@noble/curves/secp256k1.js';
import { addressBytes, checksumAddress, concat, keccak256, toBigInt, utf8, word } from './bytes.mjs';

const DOMAIN_TYPE = keccak256(utf8('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'));
const MESSAGE_TYPE = keccak256(utf8('EvidenceCommitment(bytes32 commitment)'));
const N = secp256k1.Point.CURVE().n;

export class SignatureInvalid extends Error {}

/** EIP-712 domain separator of the log (chain id, contract address "0x…"). */
export function domainSeparator(chainId, contract) {
  return keccak256(DOMAIN_TYPE, keccak256(utf8('evanchor')), keccak256(utf8('1')), word(chainId), concat(new Uint8Array(12), addressBytes(contract)));
}

/** keccak256(0x19 0x01 || domainSeparator || keccak256(typeHash || commitment)), §8. */
export function commitmentDigest(chainId, contract, commitment) {
  return keccak256(Uint8Array.of(0x19, 0x01), domainSeparator(chainId, contract), keccak256(MESSAGE_TYPE, commitment));
}

/** The EIP-55 address that 65-byte `signature` (r || s || v) over `digest` recovers to. */
export function recoverSigner(digest, signature) {
  if (signature.length !== 65) throw new SignatureInvalid(`signature is ${signature.length} bytes, expected 65`);
  const v = signature[64];
  if (v !== 27 && v !== 28) throw new SignatureInvalid(`v is ${v}, expected 27 or 28`);
  const s = toBigInt(signature.subarray(32, 64));
  if (s === 0n || s > N / 2n) throw new SignatureInvalid('s is not in the lower half of the curve order (EIP-2)');
  let point;
  try {
    point = secp256k1.Signature.fromBytes(signature.subarray(0, 64), 'compact').addRecoveryBit(v - 27).recoverPublicKey(digest);
  } catch (error) {
    throw new SignatureInvalid(`no public key recovers from this signature (${error.message})`);
  }
  const uncompressed = point.toBytes(false); // 0x04 || x || y
  return checksumAddress(keccak256(uncompressed.subarray(1)).subarray(12));
}
