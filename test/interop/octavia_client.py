"""Drives an amphora agent with Octavia's own control-plane client.

Run with Debian's /usr/bin/python3 (python3-octavia). Reads one JSON document on stdin:

  {"connection": {"amphora_id", "address", "port", "client_cert", "server_ca",
                  "base_path", "base_cert_dir"},
   "calls": [{"op": "<name>", ...}, ...]}

and prints one JSON document: {"results": [{"ok": true, "value": ...} |
{"ok": false, "error": "<exception class>", "message": "..."}]}. Each call runs in order, on
one amphora object, through octavia.amphorae.drivers.haproxy.rest_api_driver: the same code,
TLS settings and retry loop the control plane uses.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")

from oslo_config import cfg  # noqa: E402

from octavia.common import config as octavia_config  # noqa: E402,F401  (registers options)
from octavia.common import data_models  # noqa: E402
from octavia.amphorae.drivers.haproxy import rest_api_driver  # noqa: E402

CONF = cfg.CONF


def configure(connection):
    CONF([], project="octavia", default_config_files=[], default_config_dirs=[])
    group = "haproxy_amphora"
    CONF.set_override("client_cert", connection["client_cert"], group=group)
    CONF.set_override("server_ca", connection["server_ca"], group=group)
    CONF.set_override("bind_port", connection["port"], group=group)
    CONF.set_override("base_path", connection.get("base_path", "/var/lib/octavia"), group=group)
    CONF.set_override("base_cert_dir", connection.get("base_cert_dir", "/var/lib/octavia/certs"), group=group)
    # Fail fast in tests instead of the production ten-minute retry loop.
    CONF.set_override("connection_max_retries", connection.get("max_retries", 3), group=group)
    CONF.set_override("connection_retry_interval", 1, group=group)
    CONF.set_override("rest_request_read_timeout", 60, group=group)
    CONF.set_override("cert_manager", "local_cert_manager", group="certificates")


def make_amphora(connection):
    return data_models.Amphora(id=connection["amphora_id"], lb_network_ip=connection["address"])


def client(driver, amphora):
    driver._populate_amphora_api_version(amphora)
    return driver.clients[amphora.api_version]


def response_value(response):
    if response is None or isinstance(response, (dict, list, str, int, bool)):
        return response
    value = {"status": response.status_code, "headers": dict(response.headers)}
    try:
        value["json"] = response.json()
    except ValueError:
        value["text"] = response.text
    return value


# Foundation calls -----------------------------------------------------------------------------

def op_api_version(driver, amphora, call):
    amphora.api_version = None
    return driver._populate_amphora_api_version(amphora)


def op_get_info(driver, amphora, call):
    return driver.get_info(amphora)


def op_get_details(driver, amphora, call):
    return client(driver, amphora).get_details(amphora)


def op_haproxy_versions(driver, amphora, call):
    return driver._get_haproxy_versions(amphora)


def op_update_agent_config(driver, amphora, call):
    driver.update_amphora_agent_config(amphora, call["text"].encode("utf-8"))
    return None


def op_upload_server_cert(driver, amphora, call):
    driver.upload_cert_amp(amphora, call["pem"].encode("utf-8"))
    return None


def op_client(driver, amphora, call):
    """Any AmphoraAPIClient1_0 method: {"op": "client", "method": "...", "args": [...]}."""
    method = getattr(client(driver, amphora), call["method"])
    args = [arg.encode("utf-8") if isinstance(arg, str) and call.get("bytes_args") else arg
            for arg in call.get("args", [])]
    return response_value(method(amphora, *args, **call.get("kwargs", {})))


# HAProxy lifecycle calls (load balancer config, actions, listener certificates) -------------
# A load balancer is described by {"lb_id", "listener_id", "pool_id", "port", "member_ports",
# "connection_limit", optional "vip_address" and "member_address" (default 127.0.0.1)}; it is rebuilt as Octavia data models for every call, and Octavia's own
# combined-listener Jinja templater renders its haproxy.cfg inside update_amphora_listeners.

def build_loadbalancer(amphora, call):
    from octavia.common import constants
    amphora.status = constants.AMPHORA_ALLOCATED
    amphora.role = constants.ROLE_STANDALONE
    amphora.vrrp_ip = "127.0.0.1"
    members = [
        data_models.Member(id="member-%d" % index, ip_address=call.get("member_address", "127.0.0.1"),
                           protocol_port=port,
                           weight=1, enabled=True, backup=False,
                           provisioning_status=constants.ACTIVE,
                           operating_status=constants.ONLINE)
        for index, port in enumerate(call.get("member_ports", []))
    ]
    pool = data_models.Pool(id=call["pool_id"], protocol=constants.PROTOCOL_HTTP,
                            lb_algorithm=constants.LB_ALGORITHM_ROUND_ROBIN, enabled=True,
                            members=members, provisioning_status=constants.ACTIVE,
                            operating_status=constants.ONLINE)
    for member in members:
        member.pool = pool
    listener = data_models.Listener(id=call["listener_id"], project_id="interop-project",
                                    protocol=constants.PROTOCOL_HTTP,
                                    protocol_port=call["port"], enabled=True,
                                    connection_limit=call.get("connection_limit", 4000),
                                    default_pool=pool, default_pool_id=pool.id, pools=[pool],
                                    provisioning_status=constants.ACTIVE,
                                    operating_status=constants.ONLINE)
    vip = data_models.Vip(ip_address=call.get("vip_address", "127.0.0.1"))
    loadbalancer = data_models.LoadBalancer(id=call["lb_id"], project_id="interop-project",
                                            vip=vip, listeners=[listener],
                                            amphorae=[amphora], pools=[pool], enabled=True,
                                            topology=constants.TOPOLOGY_SINGLE,
                                            provisioning_status=constants.ACTIVE)
    listener.load_balancer = loadbalancer
    listener.load_balancer_id = loadbalancer.id
    pool.load_balancer = loadbalancer
    pool.listeners = [listener]
    vip.load_balancer = loadbalancer
    amphora.load_balancer = loadbalancer
    return loadbalancer


def op_render_haproxy(driver, amphora, call):
    """The haproxy.cfg the controller would upload for this load balancer."""
    loadbalancer = build_loadbalancer(amphora, call)
    versions = driver._get_haproxy_versions(amphora)
    return driver.jinja_combo.build_config(host_amphora=amphora, listeners=loadbalancer.listeners,
                                           tls_certs={}, haproxy_versions=versions)


def op_update_listeners(driver, amphora, call):
    """Render, upload_config and reload_listener, as a listener create/update does."""
    driver.update_amphora_listeners(build_loadbalancer(amphora, call), amphora)
    return None


def op_lb_action(driver, amphora, call):
    """driver.start / driver.reload for the whole load balancer."""
    loadbalancer = build_loadbalancer(amphora, call)
    getattr(driver, call["action"])(loadbalancer, amphora)
    return None


def op_lb_stop(driver, amphora, call):
    """PUT /loadbalancer/{id}/stop through the client (no driver flow sends it)."""
    return response_value(client(driver, amphora)._action("stop", amphora, call["lb_id"]))


def op_delete_listener(driver, amphora, call):
    """driver.delete(listener): the last listener gone, the agent deletes the LB."""
    loadbalancer = build_loadbalancer(amphora, call)
    driver.delete(loadbalancer.listeners[0])
    return None


def op_upload_cert(driver, amphora, call):
    """The controller's md5 check then upload (_upload_cert); returns whether it uploaded."""
    import hashlib
    pem = call["pem"].encode("utf-8")
    api = client(driver, amphora)
    before = api.get_cert_md5sum(amphora, call["lb_id"], call["name"], ignore=(404,))
    driver._upload_cert(amphora, call["lb_id"], pem, hashlib.md5(pem).hexdigest(), call["name"])
    return {"md5_before": before, "uploaded": before != hashlib.md5(pem).hexdigest()}


# UDP/SCTP (keepalived LVS) listener calls ---------------------------------------------------
# An LVS listener is described by {"lb_id", "listener_id", "port", "enabled", "namespace",
# optional "pool_id", "member_ports", "monitor_id", "vip_address", "member_address"}; it is rebuilt as Octavia data models for
# every call. Octavia's LvsJinjaTemplater renders it inside update_amphora_listeners. The
# rendered `net_namespace` is Octavia's AMPHORA_NAMESPACE constant, set to the test's own
# namespace here so the test never depends on a namespace it did not create.

def build_lvs_loadbalancer(amphora, call):
    from octavia.common import constants
    constants.AMPHORA_NAMESPACE = call["namespace"]
    amphora.status = constants.AMPHORA_ALLOCATED
    amphora.role = constants.ROLE_STANDALONE
    amphora.vrrp_ip = "127.0.0.1"
    pool = None
    if call.get("pool_id"):
        members = [
            data_models.Member(id="lvs-member-%d" % index,
                               ip_address=call.get("member_address", "127.0.0.1"),
                               protocol_port=port, weight=1, enabled=True, backup=False,
                               provisioning_status=constants.ACTIVE,
                               operating_status=constants.ONLINE)
            for index, port in enumerate(call.get("member_ports", []))
        ]
        monitor = None
        if call.get("monitor_id"):
            monitor = data_models.HealthMonitor(id=call["monitor_id"],
                                                type=constants.HEALTH_MONITOR_UDP_CONNECT,
                                                delay=5, timeout=3, rise_threshold=3,
                                                fall_threshold=3, enabled=True,
                                                provisioning_status=constants.ACTIVE)
        pool = data_models.Pool(id=call["pool_id"], protocol=constants.PROTOCOL_UDP,
                                lb_algorithm=constants.LB_ALGORITHM_ROUND_ROBIN, enabled=True,
                                members=members, health_monitor=monitor,
                                provisioning_status=constants.ACTIVE,
                                operating_status=constants.ONLINE)
        for member in members:
            member.pool = pool
    listener = data_models.Listener(id=call["listener_id"], project_id="interop-project",
                                    protocol=constants.PROTOCOL_UDP,
                                    protocol_port=call["port"], enabled=call.get("enabled", True),
                                    connection_limit=-1, default_pool=pool,
                                    default_pool_id=pool.id if pool else None,
                                    pools=[pool] if pool else [],
                                    provisioning_status=constants.ACTIVE,
                                    operating_status=constants.ONLINE)
    vip = data_models.Vip(ip_address=call.get("vip_address", "127.0.0.1"))
    loadbalancer = data_models.LoadBalancer(id=call["lb_id"], project_id="interop-project",
                                            vip=vip, listeners=[listener], additional_vips=[],
                                            amphorae=[amphora], pools=[pool] if pool else [],
                                            enabled=True, topology=constants.TOPOLOGY_SINGLE,
                                            provisioning_status=constants.ACTIVE)
    listener.load_balancer = loadbalancer
    listener.load_balancer_id = loadbalancer.id
    if pool:
        pool.load_balancer = loadbalancer
        pool.listeners = [listener]
    vip.load_balancer = loadbalancer
    amphora.load_balancer = loadbalancer
    return loadbalancer


def op_render_lvs(driver, amphora, call):
    """The keepalived LVS config the controller would upload for this listener."""
    listener = build_lvs_loadbalancer(amphora, call).listeners[0]
    return driver.lvs_jinja.build_config(listener=listener)


def op_upload_udp_config(driver, amphora, call):
    """upload_udp_config alone (PUT .../udp_listener), with the controller's rendering."""
    listener = build_lvs_loadbalancer(amphora, call).listeners[0]
    config = driver.lvs_jinja.build_config(listener=listener)
    return response_value(client(driver, amphora).upload_udp_config(amphora, listener.id, config))


def op_update_lvs_listeners(driver, amphora, call):
    """update_amphora_listeners for a UDP-only LB: upload_udp_config then reload_listener."""
    driver.update_amphora_listeners(build_lvs_loadbalancer(amphora, call), amphora)
    return None


def op_lvs_lb_action(driver, amphora, call):
    """driver.start / driver.reload: one action per UDP listener, none for haproxy."""
    getattr(driver, call["action"])(build_lvs_loadbalancer(amphora, call), amphora)
    return None


def op_delete_lvs_listener(driver, amphora, call):
    """driver.delete(listener) for a UDP listener: DELETE /listeners/{listener_id}."""
    driver.delete(build_lvs_loadbalancer(amphora, call).listeners[0])
    return None


# Network calls ---------------------------------------------------------------------------------

def _network_subnet(spec):
    from octavia.network import data_models as network_models
    return network_models.Subnet(
        id="subnet-" + spec["cidr"], cidr=spec["cidr"], gateway_ip=spec.get("gateway"),
        host_routes=[network_models.HostRoute(nexthop=route["nexthop"], destination=route["destination"])
                     for route in spec.get("host_routes", [])])


def op_post_vip_plug(driver, amphora, call):
    """driver.post_vip_plug: the controller builds the body from its network models.

    call: {"vip", "vrrp_ip", "mac", "mtu", "subnet": {"cidr", "gateway", "host_routes"},
           "additional_vips": [{"ip_address", "subnet": {...}}]}; returns None, or the
    driver's exception as an error.
    """
    from octavia.network import data_models as network_models
    from octavia.common import constants
    amphora.status = constants.AMPHORA_ALLOCATED
    amphora.vrrp_ip = call["vrrp_ip"]
    vip_subnet = _network_subnet(call["subnet"])
    port = network_models.Port(id="vrrp-port", mac_address=call["mac"],
                               network=network_models.Network(id="vip-net", mtu=call["mtu"]))
    additional = [network_models.AdditionalVipData(ip_address=extra["ip_address"],
                                                   subnet=_network_subnet(extra["subnet"]))
                  for extra in call.get("additional_vips", [])]
    config = network_models.AmphoraNetworkConfig(amphora=amphora, vip_subnet=vip_subnet, vrrp_port=port,
                                                 additional_vip_data=additional)
    load_balancer = data_models.LoadBalancer(id="interop-lb", vip=data_models.Vip(ip_address=call["vip"]))
    driver.post_vip_plug(amphora, load_balancer, {amphora.id: config})
    return None


def op_post_network_plug(driver, amphora, call):
    """driver.post_network_plug for a member port: {"mac", "mtu", "fixed_ips": [{"ip_address", "subnet": {...}}]}."""
    from octavia.network import data_models as network_models
    port = network_models.Port(
        id="member-port", mac_address=call["mac"], network=network_models.Network(id="member-net", mtu=call["mtu"]),
        fixed_ips=[network_models.FixedIP(subnet_id="subnet", ip_address=fixed["ip_address"],
                                          subnet=_network_subnet(fixed["subnet"]))
                   for fixed in call.get("fixed_ips", [])])
    amphora.vrrp_port_id = "vrrp-port"
    driver.post_network_plug(amphora, port, None)
    return None


def op_get_interface_from_ip(driver, amphora, call):
    """driver.get_interface_from_ip: the interface name, or None when the agent answers 404."""
    return driver.get_interface_from_ip(amphora, call["ip"])


def op_set_interface_rules(driver, amphora, call):
    """PUT /1.0/interface/{ip}/rules (SR-IOV VIP firewall).

    Octavia 11's driver predates this call (later releases add it as set_interface_rules):
    it is sent through the same client's put(), so the request, TLS, retries and the
    status-to-exception mapping are the driver's own; a 404 means "not supported" as there.
    """
    from octavia.amphorae.driver_exceptions import exceptions as driver_exceptions
    from octavia.amphorae.drivers.haproxy import exceptions as exc
    response = client(driver, amphora).put(amphora, "interface/{ip}/rules".format(ip=call["ip"]),
                                           json=call["rules"])
    try:
        exc.check_exception(response)
    except exc.NotFound as error:
        raise driver_exceptions.AmpDriverNotImplementedError() from error
    return response_value(response)


OPERATIONS = {name[3:]: function for name, function in dict(globals()).items() if name.startswith("op_")}


def main():
    request = json.load(sys.stdin)
    connection = request["connection"]
    configure(connection)
    driver = rest_api_driver.HaproxyAmphoraLoadBalancerDriver()
    amphora = make_amphora(connection)
    results = []
    for call in request["calls"]:
        try:
            value = OPERATIONS[call["op"]](driver, amphora, call)
            results.append({"ok": True, "value": value})
        except Exception as error:  # reported to the test, which decides
            results.append({"ok": False, "error": type(error).__name__, "message": str(error)})
    json.dump({"results": results}, sys.stdout, default=str)


if __name__ == "__main__":
    main()
