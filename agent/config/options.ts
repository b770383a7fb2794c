import {
  booleanOption,
  choiceOption,
  integerOption,
  ipOption,
  listOption,
  optionalStringOption,
  portOption,
  stringOption,
  type OptionSpec,
} from './option-types.ts';

/**
 * Every option the agent reads, by group, with the reference's types and defaults.
 * `[amphora_agent] process_manager`, `network_namespace`, `systemd_unit_dir` and the
 * `[health_manager] heartbeat_*` extensions are ours; Octavia never writes them.
 */
export const OPTION_TABLE = {
  DEFAULT: {
    debug: booleanOption(false, 'Log at debug level.', { mutable: true }),
    use_syslog: booleanOption(false, 'Also log to syslog.'),
    syslog_log_facility: stringOption('LOG_USER', 'Syslog facility of the application log.'),
  },
  amphora_agent: {
    agent_server_ca: stringOption('/etc/octavia/certs/client_ca.pem', 'CA bundle that client certificates must chain to.'),
    agent_server_cert: stringOption('/etc/octavia/certs/server.pem', 'Server certificate and private key, one PEM file.'),
    agent_server_network_dir: optionalStringOption('Folder of interface files (default /etc/octavia/interfaces/).'),
    agent_request_read_timeout: integerOption(180, 'Seconds a request may take; 0 means no limit.', { min: 0 }),
    agent_tls_protocol: choiceOption(
      ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'],
      'TLSv1.2',
      'Minimum TLS version (versions below 1.2 are raised to 1.2).',
    ),
    amphora_id: optionalStringOption('This amphora\'s id, sent in every heartbeat.', { mutable: true }),
    administrative_log_facility: integerOption(1, 'local<N> syslog facility for administrative logs.', { min: 0, max: 7 }),
    user_log_facility: integerOption(0, 'local<N> syslog facility for tenant traffic logs.', { min: 0, max: 7 }),
    amphora_udp_driver: stringOption('keepalived_lvs', 'Deprecated; read and ignored.'),
    process_manager: choiceOption(
      ['auto', 'systemd', 'direct'],
      'auto',
      'How haproxy and keepalived are run: systemd units, or supervised by the agent itself; auto picks systemd when /run/systemd/system exists.',
    ),
    network_namespace: stringOption(
      'amphora-haproxy',
      'Network namespace for haproxy and keepalived; empty runs them in the agent\'s own namespace.',
    ),
    systemd_unit_dir: stringOption('/usr/lib/systemd/system', 'Where generated systemd units are written.'),
    prometheus_proxy: choiceOption(
      ['agent', 'off'],
      'agent',
      'Who serves 127.0.0.1:9102 in network_namespace, where PROMETHEUS listeners forward: the agent itself (agent), or not the agent (off: the prometheus-proxy unit runs it as its own process, as the reference image does).',
    ),
    certificate_expiry_warning_days: integerOption(
      30,
      'Days before a client CA or the server certificate expires that GET /1.0/details lists it and a warning is logged; 0 turns the warning off.',
      { min: 0 },
      { mutable: true },
    ),
  },
  haproxy_amphora: {
    base_path: stringOption('/var/lib/octavia', 'Root of the agent\'s runtime state.'),
    base_cert_dir: stringOption('/var/lib/octavia/certs', 'Listener certificate storage.'),
    haproxy_cmd: stringOption('/usr/sbin/haproxy', 'The haproxy binary.'),
    bind_host: ipOption('::', 'Address the API listens on.'),
    bind_port: portOption(9443, 'Port the API listens on.'),
  },
  health_manager: {
    controller_ip_port_list: listOption([], 'Health manager endpoints, host:port, used in round robin.', { mutable: true }),
    // The upper bound is what Node's timers can hold (2^31 - 1 ms); a larger one would fire at once, forever.
    heartbeat_interval: integerOption(10, 'Seconds between heartbeats.', { min: 1, max: 2_147_483 }, { mutable: true }),
    heartbeat_key: stringOption('None', 'HMAC key for heartbeats.', { mutable: true, secret: true }),
    heartbeat_key_next: optionalStringOption(
      'During key rotation: the new key. Every heartbeat is then sent once signed with each key, so health managers holding either key accept it (docs/heartbeat.md).',
      { mutable: true, secret: true },
    ),
    heartbeat_encryption: booleanOption(
      false,
      'Encrypt heartbeats with AES-256-GCM, key derived from the heartbeat key by HKDF (Octavia\'s health manager cannot read them; docs/heartbeat.md).',
      { mutable: true },
    ),
  },
  controller_worker: {
    loadbalancer_topology: choiceOption(['SINGLE', 'ACTIVE_STANDBY'], 'SINGLE', 'Load balancer topology.', {
      mutable: true,
    }),
  },
} as const satisfies Record<string, Record<string, OptionSpec<unknown>>>;

type Table = typeof OPTION_TABLE;
export type GroupName = keyof Table;

/** The typed configuration: one value per option of the table. */
export type AgentConfig = {
  -readonly [G in GroupName]: {
    -readonly [O in keyof Table[G]]: Table[G][O] extends OptionSpec<infer T> ? T : never;
  };
};
