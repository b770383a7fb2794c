#!/bin/bash
# MISC_CHECK of a UDP member, run by keepalived: udp_check.sh <address> <port>
# A zero-I/O UDP probe fails only when an ICMP port-unreachable comes back within a second.
# Nmap's ncat takes the wait as -i, OpenBSD netcat as -w.
netcat=$(command -v nc) || exit 1
if "$netcat" --version 2>&1 | grep -q nmap; then
    wait_option=-i1
else
    wait_option=-w1
fi
"$netcat" -uzv "$wait_option" "$1" "$2" > /dev/null
exit $?
