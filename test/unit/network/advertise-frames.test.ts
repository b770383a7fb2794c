import { test } from 'node:test';
import assert from 'node:assert/strict';
import { garpFrame, neighborAdvertisement } from '../../../agent/network/advertise-frames.ts';

test('GARP: 42-byte broadcast ARP request, sender and target IP both the address', () => {
  assert.equal(
    garpFrame('fa:16:3e:12:34:56', '203.0.113.10').toString('hex'),
    'ffffffffffff' + 'fa163e123456' + '0806' + '0001' + '0800' + '06' + '04' + '0001' + 'fa163e123456' + 'cb00710a' + 'ffffffffffff' + 'cb00710a',
  );
});

test('NA: Router + Override, target, target link-layer option; checksum left to the kernel', () => {
  assert.equal(
    neighborAdvertisement('FA:16:3E:12:34:56', '2001:db8::10').toString('hex'),
    '88' + '00' + '0000' + 'a0000000' + '20010db8000000000000000000000010' + '02' + '01' + 'fa163e123456',
  );
  assert.throws(() => neighborAdvertisement('fa:16:3e:12:34', '2001:db8::10'));
  assert.throws(() => garpFrame('fa:16:3e:12:34:56', '2001:db8::10'));
});
