/**
 * `node:http` for the modules that need its values. An ES import of the builtin builds its
 * whole namespace, and the namespace's WebSocket-era getters load the bundled fetch client
 * (undici and web streams, about 4 MB the agent never uses); the CommonJS object does not.
 */
export const nodeHttp = process.getBuiltinModule('node:http');
