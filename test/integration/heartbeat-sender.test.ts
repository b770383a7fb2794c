import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveConfig } from '../../agent/config/live-config.ts';
import { createHeartbeatSender, type BeatNote } from '../../agent/heartbeat/sender.ts';
import { silentLogger } from '../../agent/util/logger.ts';
import { heartbeatConfig, withTempDir } from '../helpers/heartbeat-config.ts';
import { startPythonReceiver } from '../helpers/heartbeat-receiver.ts';

test('the sender keeps a fixed rate, resumes without a burst after a blocked event loop, follows config changes', { timeout: 30_000 }, async () => {
  await withTempDir('hb-sender-', async (basePath) => {
    const first = await startPythonReceiver('127.0.0.1', ['key-a']);
    const second = await startPythonReceiver('127.0.0.1', ['key-b']);
    const options = (port: number, key: string) => ({
      amphora_agent: { amphora_id: 'sender-amphora', network_namespace: '' },
      haproxy_amphora: { base_path: basePath },
      health_manager: { heartbeat_key: key, controller_ip_port_list: `127.0.0.1:${port}`, heartbeat_interval: '1' },
    });
    const live = new LiveConfig(heartbeatConfig(options(first.port, 'key-a')), { files: [], directories: [] });
    const notes: BeatNote[] = [];
    const sender = createHeartbeatSender({ config: live, logger: silentLogger }, { onBeat: (note) => notes.push(note) });
    try {
      sender.start();
      await first.waitFor(1);
      // The event loop blocked for 2.5 s: the heartbeat waits with it (an agent that cannot run
      // its loop cannot serve either), then resumes at once, without making up missed beats.
      const blockedAt = Date.now();
      while (Date.now() < blockedAt + 2500);
      const resumed = await first.waitFor(3);
      assert.ok(resumed.length >= 3);
      live.apply(heartbeatConfig(options(second.port, 'key-b')));
      const moved = await second.waitFor(1, 5000);
      assert.equal(moved[0]!.results['key-b']!.ok!.id, 'sender-amphora');
      await sender.stop();
      const starts = notes.map((note) => note.startedAt);
      for (let index = 1; index < starts.length; index += 1) {
        const gap = starts[index]! - starts[index - 1]!;
        assert.ok(gap > 900, `beats ${gap} ms apart: a burst after the blocked loop`);
      }
      assert.ok(starts.some((start) => start >= blockedAt + 2500 && start < blockedAt + 2500 + 300), 'the overdue beat went out as soon as the loop ran again');
      const count = first.received.length + second.received.length;
      await new Promise((resolve) => setTimeout(resolve, 1300));
      assert.equal(first.received.length + second.received.length, count, 'nothing is sent after stop()');
    } finally {
      await sender.stop();
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
