import { isPublicAddress } from './address.js';

test.each([
  '127.0.0.1',
  '127.8.9.10',
  '10.1.2.3',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '169.254.169.254',
  '100.64.0.1',
  '0.0.0.0',
  '224.0.0.1',
  '255.255.255.255',
  '::',
  '::1',
  '[::1]',
  'fe80::1',
  'fe80::1%eth0',
  'fd00::1',
  'fc12:3456::1',
  'ff02::1',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:10.0.0.1',
  '64:ff9b::a00:1',
  '2002:c0a8:0101::1',
  // IPv4-compatible, IPv4-translated and local-use NAT64 forms (issue 23)
  '::127.0.0.1',
  '::7f00:1',
  '::10.0.0.1',
  '::169.254.169.254',
  '::ffff:0:127.0.0.1',
  '::ffff:0:7f00:1',
  '::ffff:0:a9fe:a9fe',
  '64:ff9b:1::a00:1',
  '64:ff9b:1::808:808',
  '64:ff9b:1:ffff::1',
  'not-an-ip',
])('%s is refused', (address) => {
  expect(isPublicAddress(address)).toBe(false);
});

test.each([
  '93.184.216.34',
  '8.8.8.8',
  '172.32.0.1',
  '2606:4700:4700::1111',
  '::ffff:8.8.8.8',
  '2002:0808:0808::1',
  '::ffff:0:8.8.8.8',
  '64:ff9b::808:808',
  '64:ff9b:2::1',
])('%s is public', (address) => {
  expect(isPublicAddress(address)).toBe(true);
});
