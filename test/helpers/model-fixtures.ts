/**
 * Fixture B of config-rendering.md §5 (the upstream sample load balancer) as a JSON model, plus
 * small builders for the scenario deltas. Every call returns a fresh deep copy.
 */

export type Json = Record<string, any>;

export const LB_ID = 'sample_loadbalancer_id_1';
export const LISTENER_ID = 'sample_listener_id_1';
export const POOL_ID = 'sample_pool_id_1';

export function fixtureB(): Json {
  return {
    loadbalancer: {
      id: LB_ID,
      name: 'test-lb',
      project_id: '12345',
      admin_state_up: true,
      topology: 'SINGLE',
      vip: { ip_address: '10.0.0.2', subnet: { cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', host_routes: [] } },
      additional_vips: [],
      amphorae: [
        {
          id: 'sample_amphora_id_1',
          status: 'ALLOCATED',
          role: 'MASTER',
          vrrp_ip: '10.1.1.1',
          vrrp_interface: 'eth1',
          vrrp_id: 1,
          vrrp_priority: 100,
        },
      ],
      listeners: [listener(LISTENER_ID)],
      pools: [
        {
          id: POOL_ID,
          name: 'pool1',
          protocol: 'HTTP',
          lb_algorithm: 'ROUND_ROBIN',
          session_persistence: { type: 'HTTP_COOKIE' },
          healthmonitor: monitor(),
          members: [member('sample_member_id_1', '10.0.0.99'), member('sample_member_id_2', '10.0.0.98')],
        },
      ],
    },
  };
}

/** An HTTP listener on port 80 in front of the sample pool, with Octavia's default timeouts. */
export function listener(id: string, overrides: Json = {}): Json {
  return {
    id,
    name: 'listener1',
    protocol: 'HTTP',
    protocol_port: 80,
    connection_limit: -1,
    default_pool_id: POOL_ID,
    timeout_client_data: 50000,
    timeout_member_connect: 5000,
    timeout_member_data: 50000,
    timeout_tcp_inspect: 0,
    insert_headers: {},
    l7policies: [],
    ...overrides,
  };
}

export function monitor(overrides: Json = {}): Json {
  return {
    id: 'sample_monitor_id_1',
    type: 'HTTP',
    delay: 30,
    timeout: 31,
    max_retries: 2,
    max_retries_down: 3,
    http_method: 'GET',
    url_path: '/index.html',
    expected_codes: '418',
    http_version: 1.0,
    ...overrides,
  };
}

export function member(id: string, address: string, overrides: Json = {}): Json {
  return { id, address, protocol_port: 82, weight: 13, ...overrides };
}

export function listenerOf(model: Json, index = 0): Json {
  return model.loadbalancer.listeners[index];
}

export function poolOf(model: Json, index = 0): Json {
  return model.loadbalancer.pools[index];
}

/** A syntactically valid PEM placeholder (the renderers never parse certificates). */
export function fakePem(label: string, body: string): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(body).toString('base64')}\n-----END ${label}-----\n`;
}

export function tlsMaterial(name: string): Json {
  return { certificate: fakePem('CERTIFICATE', `cert ${name}`), private_key: fakePem('PRIVATE KEY', `key ${name}`), intermediates: [] };
}

/** Fixture B turned into a UDP listener + pool (spec §3.2.4). */
export function udpFixture(): Json {
  const model = fixtureB();
  const listener = listenerOf(model);
  listener.protocol = 'UDP';
  listener.connection_limit = 98;
  delete listener.insert_headers;
  const pool = poolOf(model);
  pool.protocol = 'UDP';
  pool.session_persistence = { type: 'SOURCE_IP', persistence_timeout: 33, persistence_granularity: '255.255.0.0' };
  pool.healthmonitor = { id: 'sample_monitor_id_1', type: 'UDP-CONNECT', delay: 30, timeout: 31, max_retries: 2, max_retries_down: 3 };
  return model;
}
