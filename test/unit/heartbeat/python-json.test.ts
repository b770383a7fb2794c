import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { pythonJsonDumps } from '../../../agent/util/python-json.ts';

test('escapes as Python json.dumps does (the spec example)', () => {
  assert.equal(pythonJsonDumps({ id: 'é', x: 'a/b"c\\\n' }), '{"id": "\\u00e9", "x": "a/b\\"c\\\\\\n"}');
});

test('matches /usr/bin/python3 json.dumps on awkward strings, integers and nesting', () => {
  const text = 'tab\t cr\r bs\b ff\f nul\u0000 del\u007f snow\u2603 astral\u{1f600} quote" slash/';
  const value = new Map<string, unknown>([
    ['s', text],
    ['n', 9007199254740993n],
    ['z', 0],
    ['neg', -5],
    ['empty', new Map()],
    ['list', [1, 'two', true, null]],
    ['10', 'numeric-looking key keeps its place'],
  ]);
  const ours = pythonJsonDumps(value as never);
  const python = execFileSync(
    '/usr/bin/python3',
    ['-c', 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())), end="")'],
    { input: ours },
  ).toString('utf8');
  assert.equal(ours, python);
  assert.ok(ours.startsWith('{"s": "tab\\t cr\\r bs\\b ff\\f nul\\u0000 del\\u007f snow\\u2603 astral\\ud83d\\ude00'));
});

test('refuses non-integer numbers', () => {
  assert.throws(() => pythonJsonDumps({ x: 1.5 }), TypeError);
});
