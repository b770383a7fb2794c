import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIni, IniParseError } from '../../../agent/config/ini.ts';

const valueOf = (text: string, group: string, key: string) => parseIni(text).get(group)?.get(key);

test('separators: the first of "=" or ":" splits, values keep the rest', () => {
  assert.deepEqual(valueOf('[health_manager]\ncontroller_ip_port_list = 192.0.2.1:5555\n', 'health_manager', 'controller_ip_port_list'), ['192.0.2.1:5555']);
  assert.deepEqual(valueOf('[health_manager]\nheartbeat_key: a=b\n', 'health_manager', 'heartbeat_key'), ['a=b']);
});

test('no inline comments; full-line # and ; comments are skipped', () => {
  const raw = parseIni('# top\n[haproxy_amphora]\n; note\nbind_port = 9443 # x\n');
  assert.deepEqual(raw.get('haproxy_amphora')?.get('bind_port'), ['9443 # x']);
});

test('indented lines continue the previous value; an empty line ends it', () => {
  const raw = parseIni('[g]\nkey = one\n  two\n\tthree\n\nother = x\n');
  assert.deepEqual(raw.get('g')?.get('key'), ['one\ntwo\nthree']);
  assert.throws(() => parseIni('[g]\n  orphan\n'), IniParseError);
});

test('section names: DEFAULT is exact, others are case-insensitive and verbatim', () => {
  const raw = parseIni('[DEFAULT]\ndebug = true\n[Haproxy_Amphora]\nbind_port = 1\n[ spaced ]\na = b\n');
  assert.deepEqual(raw.get('DEFAULT')?.get('debug'), ['true']);
  assert.deepEqual(raw.get('haproxy_amphora')?.get('bind_port'), ['1']);
  assert.ok(raw.has(' spaced '));
  assert.equal(parseIni('[default]\ndebug = true\n').get('DEFAULT'), undefined);
});

test('quotes: one matching pair is removed, a lone quote becomes empty', () => {
  assert.deepEqual(valueOf('[g]\na = "quoted value"\n', 'g', 'a'), ['quoted value']);
  assert.deepEqual(valueOf("[g]\na = 'x\"\n", 'g', 'a'), ["'x\""]);
  assert.deepEqual(valueOf('[g]\na = "\n', 'g', 'a'), ['']);
});

test('repeated keys collect values; CRLF line ends are accepted', () => {
  assert.deepEqual(valueOf('[g]\r\na = 1\r\na = 2\r\n', 'g', 'a'), ['1', '2']);
});

test('syntax errors name the source and line', () => {
  assert.throws(() => parseIni('key = before section\n', 'agent.conf'), /agent\.conf:1: assignment before any section header/u);
  assert.throws(() => parseIni('[g]\nno separator here\n', 'agent.conf'), /agent\.conf:2: expected "key = value"/u);
  assert.throws(() => parseIni('[g\n'), /must end with "\]"/u);
  assert.throws(() => parseIni('[]\n'), /empty section name/u);
  assert.throws(() => parseIni('[g]\n= value\n'), /empty key/u);
});
