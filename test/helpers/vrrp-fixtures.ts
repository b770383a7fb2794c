/**
 * A small keepalived VRRP configuration of the shape Octavia renders (check script, unicast
 * peer, one VIP) for tests that need keepalived to accept or refuse an upload; `extra` lines
 * go inside the instance (a bad keyword makes keepalived refuse it). Tests that need Octavia's
 * exact rendering use test/helpers/vrrp-lab.ts.
 */
export function vrrpConfig(basePath: string, extra = ''): string {
  return [
    'vrrp_script check_script {',
    `    script ${basePath}/vrrp/check_script.sh`,
    '    interval 5',
    '    fall 2',
    '    rise 2',
    '}',
    '',
    'vrrp_instance test_group {',
    '    state MASTER',
    '    interface eth1',
    '    virtual_router_id 1',
    '    priority 100',
    '    nopreempt',
    '    accept',
    extra,
    '    advert_int 1',
    '    authentication {',
    '        auth_type PASS',
    '        auth_pass abc1234',
    '    }',
    '    unicast_src_ip 192.0.2.4',
    '    unicast_peer {',
    '        192.0.2.5',
    '    }',
    '    virtual_ipaddress {',
    '        192.0.2.10',
    '    }',
    '    track_script {',
    '        check_script',
    '    }',
    '}',
  ].join('\n');
}
