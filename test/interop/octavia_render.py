"""Render a load-balancer model with Octavia's own Jinja renderers.

Reads one JSON request on stdin: {"kind": "haproxy" | "lvs" | "vrrp", "model": <normalized
model>, "ctx": {...}, "files": {...}, "listener_id": ..., "amphora_id": ...} and prints the
rendered text on stdout. The model is turned into plain attribute objects shaped like Octavia's
data models; the renderers are used unchanged.
"""
import json
import sys
from types import SimpleNamespace as NS

from octavia.common.config import cfg  # registers Octavia's options
from octavia.common.jinja.haproxy.combined_listeners import jinja_cfg as haproxy_cfg
from octavia.common.jinja.lvs import jinja_cfg as lvs_cfg
from octavia.amphorae.drivers.keepalived.jinja import jinja_cfg as vrrp_cfg

CONF = cfg.CONF


def monitor_of(hm):
    if hm is None:
        return None
    return NS(id=hm['id'], type=hm['type'], delay=hm['delay'], timeout=hm['timeout'],
              rise_threshold=hm['max_retries'], fall_threshold=hm['max_retries_down'],
              http_method=hm['http_method'], url_path=hm['url_path'],
              expected_codes=hm['expected_codes'], http_version=None if hm['http_version'] is None else float(hm['http_version']),
              domain_name=hm['domain_name'], enabled=hm['admin_state_up'],
              provisioning_status=hm['provisioning_status'])


def pool_of(p):
    sp = p['session_persistence']
    return NS(
        id=p['id'], protocol=p['protocol'], lb_algorithm=p['lb_algorithm'],
        enabled=p['admin_state_up'], operating_status='ONLINE',
        provisioning_status=p['provisioning_status'],
        session_persistence=None if sp is None else NS(**sp, type_=sp['type']),
        health_monitor=monitor_of(p['healthmonitor']),
        members=[NS(id=m['id'], ip_address=m['address'], protocol_port=m['protocol_port'],
                    weight=m['weight'], backup=m['backup'], enabled=m['admin_state_up'],
                    subnet_id=None, operating_status='ONLINE',
                    monitor_address=m['monitor_address'], monitor_port=m['monitor_port'],
                    provisioning_status=m['provisioning_status'])
                 for m in p['members']],
        tls_enabled=p['tls_enabled'],
        tls_certificate_id='client' if p['tls_container'] else None,
        ca_tls_certificate_id='ca' if p['ca_tls_container'] else None,
        crl_container_id='crl' if p['crl_container'] else None,
        tls_ciphers=p['tls_ciphers'], tls_versions=p['tls_versions'],
        alpn_protocols=p['alpn_protocols'])


def build_lb(model):
    lb_json = model['loadbalancer']
    lb = NS(id=lb_json['id'], project_id=lb_json['project_id'],
            enabled=lb_json['admin_state_up'], topology=lb_json['topology'],
            vip=NS(ip_address=lb_json['vip']['ip_address']),
            additional_vips=[NS(ip_address=v['ip_address']) for v in lb_json['additional_vips']],
            amphorae=[NS(**a) for a in lb_json['amphorae']])
    pools = {p['id']: pool_of(p) for p in lb_json['pools']}
    listeners = []
    for l in lb_json['listeners']:
        policies = []
        for pol in l['l7policies']:
            policies.append(NS(
                id=pol['id'], action=pol['action'], redirect_url=pol['redirect_url'],
                redirect_prefix=pol['redirect_prefix'], enabled=pol['admin_state_up'],
                redirect_pool=pools.get(pol['redirect_pool_id']),
                redirect_http_code=pol['redirect_http_code'],
                provisioning_status=pol['provisioning_status'],
                l7rules=[NS(id=r['id'], type=r['type'], compare_type=r['compare_type'],
                            key=r['key'], value=r['value'], invert=r['invert'],
                            enabled=r['admin_state_up'],
                            provisioning_status=r['provisioning_status'])
                         for r in pol['rules']]))
        # Listener.pools as Octavia's database derives it: default pool, then the redirect
        # pools of enabled policies that have rules, without duplicates.
        listener_pools = []
        ids = [l['default_pool_id']] + [
            p['redirect_pool_id'] for p in l['l7policies']
            if p['admin_state_up'] and p['rules'] and p['redirect_pool_id']]
        for pid in ids:
            if pid and pid in pools and pools[pid] not in listener_pools:
                listener_pools.append(pools[pid])
        listeners.append(NS(
            id=l['id'], protocol=l['protocol'], protocol_port=l['protocol_port'],
            connection_limit=l['connection_limit'], enabled=l['admin_state_up'],
            insert_headers=l['insert_headers'],
            timeout_client_data=l['timeout_client_data'],
            timeout_member_connect=l['timeout_member_connect'],
            timeout_member_data=l['timeout_member_data'],
            timeout_tcp_inspect=l['timeout_tcp_inspect'],
            tls_certificate_id='cert' if l['default_tls_container'] else None,
            client_ca_tls_certificate_id='client_ca' if l['client_ca_tls_container'] else None,
            client_crl_container_id='client_crl' if l['client_crl_container'] else None,
            client_authentication=l['client_authentication'],
            tls_ciphers=l['tls_ciphers'], tls_versions=l['tls_versions'],
            alpn_protocols=l['alpn_protocols'], provisioning_status=l['provisioning_status'],
            default_pool=pools.get(l['default_pool_id']), pools=listener_pools,
            l7policies=policies, load_balancer=lb, peer_port=1025))
    lb.listeners = listeners
    lb.pools = list(pools.values())
    return lb


def render_haproxy(req):
    ctx = req['ctx']
    CONF.set_override('base_cert_dir', ctx['baseCertDir'], group='haproxy_amphora')
    CONF.set_override('base_path', ctx['basePath'], group='haproxy_amphora')
    lb = build_lb(req['model'])
    templater = haproxy_cfg.JinjaTemplater(
        base_amp_path=ctx['basePath'], base_crt_dir=ctx['baseCertDir'],
        connection_logging=ctx['connectionLogging'])
    features = req['features']
    flags = {}
    if features.get('httpReuse'):
        flags['has_http_reuse'] = True
    if features.get('poolAlpn'):
        flags['has_pool_alpn'] = True
    if features.get('prometheus'):
        flags['PROMETHEUS'] = True
    if features.get('insecureFork'):
        flags['requires_insecure_fork'] = True
    # tls_certs maps container ids to file names as the controller's driver does.
    files = req['files']
    tls_certs = {'client_ca': files.get('client_ca'), 'client_crl': files.get('client_crl')}
    for pool_id, pool_files in files.get('pools', {}).items():
        tls_certs[pool_id] = pool_files
    amphora = NS(**req['model']['loadbalancer']['amphorae'][0], lb_network_ip=None, ha_ip=None,
                 vrrp_port_id=None, ha_port_id=None)
    return templater.render_loadbalancer_obj(
        amphora, lb.listeners, tls_certs=tls_certs, feature_compatibility=flags)


def render_lvs(req):
    CONF.set_override('base_path', req['ctx']['basePath'], group='haproxy_amphora')
    lb = build_lb(req['model'])
    listener = next(l for l in lb.listeners if l.id == req['listener_id'])
    return lvs_cfg.LvsJinjaTemplater(base_amp_path=req['ctx']['basePath']).build_config(listener)


def render_vrrp(req):
    ctx = req['ctx']
    CONF.set_override('base_path', ctx['basePath'], group='haproxy_amphora')
    # Optional [keepalived_vrrp] timers (tests and benchmarks with faster failover).
    timers = ctx.get('keepalivedVrrp') or {}
    for key, option in (('checkInterval', 'vrrp_check_interval'), ('failCount', 'vrrp_fail_count'),
                        ('successCount', 'vrrp_success_count'),
                        ('garpRefreshInterval', 'vrrp_garp_refresh_interval'),
                        ('garpRefreshCount', 'vrrp_garp_refresh_count')):
        if key in timers:
            CONF.set_override(option, timers[key], group='keepalived_vrrp')
    lb_json = req['model']['loadbalancer']
    lb = NS(vip=NS(ip_address=lb_json['vip']['ip_address']),
            amphorae=[NS(**a) for a in lb_json['amphorae']],
            vrrp_group=NS(**lb_json['vrrp_group']))
    amphora = next(a for a in lb.amphorae if a.id == req['amphora_id'])
    net = {'vip_subnet': lb_json['vip']['subnet'],
           'additional_vip_data': [{'ip_address': v['ip_address'], 'subnet': v['subnet']}
                                   for v in lb_json['additional_vips']]}
    return vrrp_cfg.KeepalivedJinjaTemplater().build_keepalived_config(lb, amphora, net)


def main():
    req = json.load(sys.stdin)
    renderer = {'haproxy': render_haproxy, 'lvs': render_lvs, 'vrrp': render_vrrp}[req['kind']]
    sys.stdout.write(renderer(req))


if __name__ == '__main__':
    main()
