#!/usr/bin/env -S node --disable-sigusr1
import { buildConfig, defaultConfigSources, readSources } from '../config/load.ts';
import { pathsFor } from '../config/paths.ts';
import { applyAll, readInterfaceFiles } from '../network/plug-service.ts';
import { errorMessage } from '../util/errors.ts';

/**
 * `amphora-interface [--config-file FILE]... up|down <name|all>`: applies interface files inside
 * the namespace it runs in (`ip netns exec amphora-haproxy amphora-interface up all` at boot).
 * It reads the agent's own configuration, so it uses the folder the agent writes to.
 */
async function main(argv: string[]): Promise<number> {
  if (argv.length < 2) {
    process.stdout.write('usage: amphora-interface [--config-file FILE]... [up|down] <interface>\n');
    return 1;
  }
  const [action, name] = argv.slice(-2) as [string, string];
  const configFiles: string[] = [];
  const options = argv.slice(0, -2);
  for (let index = 0; index < options.length; index += 1) {
    const option = options[index]!;
    if (option === '--config-file' && options[index + 1]) configFiles.push(options[++index]!);
    else if (option.startsWith('--config-file=')) configFiles.push(option.slice('--config-file='.length));
  }
  if (action !== 'up' && action !== 'down') {
    process.stdout.write(`Error: Unknown action '${action}'\n`);
    return 2;
  }
  const defaults = defaultConfigSources();
  const config = buildConfig(readSources(configFiles.length > 0 ? { files: configFiles, directories: [] } : defaults));
  const paths = pathsFor(config);
  const badFiles: string[] = [];
  const files = await readInterfaceFiles(paths.networkDir, (path, error) => badFiles.push(`${path}: ${errorMessage(error)}`));
  for (const bad of badFiles) process.stderr.write(`Warning: interface file ignored: ${bad}\n`);
  const selected = name === 'all' ? files : files.filter((file) => file.name === name);
  if (selected.length === 0 && name !== 'all') {
    process.stdout.write(`Error: Could not find interface '${name}'.\n`);
    return 2;
  }
  const errors = await applyAll(selected, { namespace: '', nftablesRules: paths.nftablesRules }, action, (warning) =>
    process.stderr.write(`Warning: ${warning}\n`),
  );
  if (errors.length > 0) {
    process.stdout.write(`Error: Could not configure interface: ${errors.join(', ')}\n`);
    return 2;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stdout.write(`Error: ${errorMessage(error)}\n`);
    process.exit(2);
  },
);
