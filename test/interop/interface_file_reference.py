"""The interface files Octavia 11's own classes write, as the text they put on disk.

stdin: {"vip": {name, mtu, vips, vrrp_info, fixed_ips, topology}, "port": {name, mtu, fixed_ips}}
stdout: {"vip": "<file text>", "port": "<file text>"}
"""
import json
import sys

from octavia.amphorae.backends.utils import interface_file


def file_text(interface):
    # The keys and order InterfaceFile.write() puts on disk.
    content = {"name": interface.name, "addresses": interface.addresses, "routes": interface.routes,
               "rules": interface.rules, "scripts": interface.scripts}
    if interface.mtu:
        content["mtu"] = interface.mtu
    return interface.dump(content)


request = json.load(sys.stdin)
vip, port = request["vip"], request["port"]
json.dump({
    "vip": file_text(interface_file.VIPInterfaceFile(
        vip["name"], vip["mtu"], vip["vips"], vip["vrrp_info"], vip["fixed_ips"], vip["topology"])),
    "port": file_text(interface_file.PortInterfaceFile(port["name"], port["mtu"], port["fixed_ips"])),
}, sys.stdout)
