/**
 * The Node builtins whose ES import costs memory the agent never uses. An ES import of a
 * builtin builds its whole namespace, evaluating every lazy export: `node:http` loads the
 * bundled fetch client and web streams, `node:fs` file streams, directories and watchers,
 * `node:util` the text differ and colours; about 3 MB together in a process that is mostly
 * idle. Their CommonJS objects load nothing more, so agent code takes these three from here
 * (type-only imports stay ES imports: they are erased).
 */
export const nodeHttp = process.getBuiltinModule('node:http');
export const nodeFs = process.getBuiltinModule('node:fs');
export const nodeUtil = process.getBuiltinModule('node:util');
