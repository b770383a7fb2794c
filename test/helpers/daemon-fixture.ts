/**
 * A minimal daemon for the supervised-daemon layer's tests, run as
 * `node daemon-fixture.ts <config> <pid-file> <behaviour> [child-pid-file]`: the launcher forks
 * a detached copy (its own session, like `haproxy -D` and `keepalived -D`) and exits at once;
 * the copy writes its pid file and sleeps, its command line carrying <config>.
 * Behaviours: `normal`; `stubborn` ignores SIGTERM; `dies` exits 100 ms after writing its pid;
 * `parent` also forks a child that writes <child-pid-file> and ignores SIGTERM.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [role, config, pidFile, behaviour, childPidFile] = process.argv.slice(2);

if (role === 'launch') {
  const daemon = spawn(process.execPath, [fileURLToPath(import.meta.url), 'daemon', config!, pidFile!, behaviour!, childPidFile ?? ''], {
    detached: true,
    stdio: 'ignore',
  });
  daemon.unref();
} else if (role === 'child') {
  process.on('SIGTERM', () => undefined);
  writeFileSync(pidFile!, `${process.pid}\n`);
  setInterval(() => undefined, 60_000);
} else {
  if (behaviour === 'stubborn') process.on('SIGTERM', () => undefined);
  if (behaviour === 'parent' && childPidFile) {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'child', config!, childPidFile], { stdio: 'ignore' });
    child.unref();
  }
  writeFileSync(pidFile!, `${process.pid}\n`);
  if (behaviour === 'dies') setTimeout(() => process.exit(1), 100);
  setInterval(() => undefined, 60_000);
}
