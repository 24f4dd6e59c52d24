/**
 * Which IP addresses add_resource may fetch from: public unicast only, unless the operator allows
 * private targets (`ALLOW_PRIVATE_URLS`). Loopback, private (RFC 1918, ULA), carrier-grade NAT,
 * link-local, unspecified, multicast, reserved and documentation ranges are refused, in IPv4 and
 * IPv6; IPv6 forms that embed an IPv4 address (mapped, translated, compatible, NAT64, 6to4, ISATAP) are
 * judged by that address, and local-use NAT64 (`64:ff9b:1::/48`, RFC 8215) is refused whole: its
 * translator is by definition inside the operator's network and may place the IPv4 address anywhere.
 * Teredo (`2001::/32`, RFC 4380) is refused whole too: a Teredo address tunnels through a relay to
 * whatever client address it encodes, so no check of the address itself says where it ends.
 * Applied to the addresses a host name resolves to, never to the name itself.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

const BLOCKED_V4: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

const BLOCKED_V6: readonly [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 32],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

const blocked = new BlockList();
for (const [net, prefix] of BLOCKED_V4) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of BLOCKED_V6) blocked.addSubnet(net, prefix, 'ipv6');

/** The 16 bytes of an IPv6 address (with `::` and an optional trailing dotted quad). */
function ipv6Bytes(address: string): number[] {
  const [head = '', tail]: (string | undefined)[] = address.split('::');
  const groups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => {
          if (isIPv4(g)) return g.split('.').map(Number);
          const n = parseInt(g, 16);
          return [n >> 8, n & 0xff];
        });
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  return [...left, ...new Array<number>(16 - left.length - right.length).fill(0), ...right];
}

const MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
/** SIIT's IPv4-translated form `::ffff:0:a.b.c.d` (RFC 6145). */
const TRANSLATED = [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0];
/** The deprecated IPv4-compatible form `::a.b.c.d` (RFC 4291 2.5.5.1). */
const COMPATIBLE = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const NAT64 = [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];
/** ISATAP's interface identifier `0:5efe:a.b.c.d` (RFC 5214), `200:5efe:…` when the IPv4 is global. */
const ISATAP = [
  [0, 0, 0x5e, 0xfe],
  [0x02, 0, 0x5e, 0xfe],
];

/**
 * The IPv4 addresses an IPv6 address embeds: in its last 32 bits (mapped `::ffff:0:0/96`, translated
 * `::ffff:0:0:0/96`, compatible `::/96`, NAT64 `64:ff9b::/96`, ISATAP's `…:0:5efe:a.b.c.d` under any
 * prefix) and in bits 16–48 (6to4 `2002::/16`). A 6to4 prefix may carry an ISATAP identifier, so
 * every form is looked for, not only the first that matches.
 */
function embeddedV4(address: string): string[] {
  const b = ipv6Bytes(address);
  const at = (offset: number) => (bytes: number[]) => bytes.every((v, i) => b[offset + i] === v);
  const found: string[] = [];
  if ([MAPPED, TRANSLATED, COMPATIBLE, NAT64].some(at(0)) || ISATAP.some(at(8))) {
    found.push(b.slice(12, 16).join('.'));
  }
  if (at(0)([0x20, 0x02])) found.push(b.slice(2, 6).join('.'));
  return found;
}

/**
 * Whether `address` (an IP literal) is a public unicast address a server may fetch from.
 * @example isPublicAddress('93.184.216.34') // true
 * @example isPublicAddress('::ffff:127.0.0.1') // false
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(bare)) return !blocked.check(bare, 'ipv4');
  if (!isIPv6(bare)) return false;
  if (!embeddedV4(bare).every(isPublicAddress)) return false;
  return !blocked.check(bare, 'ipv6');
}
