#!/bin/sh
# lvs-masquerade.sh add|delete ipv4|ipv6 <interface> [sriov]
# Called by amphora-interface for each namespace interface. UDP/SCTP listeners run IPVS in NAT
# mode, so traffic leaving towards members is masqueraded; TCP (haproxy) skips connection
# tracking, except on SR-IOV ports whose nftables firewall needs it.
set -e
action=$1 family=$2 interface=$3 sriov=${4:-}
usage() { echo "usage: $0 add|delete ipv4|ipv6 <interface> [sriov]" >&2; exit 2; }
[ -n "$interface" ] || usage
case $family in
    ipv4) table="ip octavia-ipv4"; prefix=ip ;;
    ipv6) table="ip6 octavia-ipv6"; prefix=ip6 ;;
    *) usage ;;
esac
nft=/usr/sbin/nft
# Adding is idempotent: `up` runs again at every plug and boot, and must not stack duplicates.
add_rule_once() {
    chain=$1; shift
    $nft list chain $table "$chain" | grep -qF -- "$*" || $nft add rule $table "$chain" "$@"
}

case $action in
add)
    $nft add table $table
    for protocol in udp sctp; do
        $nft add chain $table "$prefix-$protocol-masq" "{ type nat hook postrouting priority 100; policy accept; }"
        add_rule_once "$prefix-$protocol-masq" oifname "\"$interface\"" meta l4proto $protocol masquerade
    done
    if [ "$sriov" != sriov ]; then
        $nft add chain $table prerouting "{ type filter hook prerouting priority -300; policy accept; }"
        $nft add chain $table output "{ type filter hook output priority -300; policy accept; }"
        add_rule_once prerouting iifname "\"$interface\"" meta l4proto tcp notrack
        add_rule_once output oifname "\"$interface\"" meta l4proto tcp notrack
    fi
    ;;
delete)
    for chain in "$prefix-udp-masq" "$prefix-sctp-masq"; do
        $nft flush chain $table "$chain" 2>/dev/null || true
        $nft delete chain $table "$chain" 2>/dev/null || true
    done
    for chain in prerouting output; do
        $nft flush chain $table $chain 2>/dev/null || true
        $nft delete chain $table $chain 2>/dev/null || true
    done
    ;;
*) usage ;;
esac
