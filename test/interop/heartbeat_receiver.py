"""Health-manager side of the heartbeat interop tests.

Binds a UDP socket (address from argv[1], ephemeral port), prints the port, then for every
datagram prints one JSON line: its length and, for each key given in argv[2:], the object
that Octavia's own status_message.unwrap_envelope returns, or the error it raises.
Must run with Debian's /usr/bin/python3 (python3-octavia).
"""
import json
import socket
import sys

from octavia.amphorae.backends.health_daemon import status_message

UDP_MAX_SIZE = 64 * 1024  # what the health manager reads per datagram


def main():
    bind_ip = sys.argv[1]
    keys = sys.argv[2:]
    family = socket.AF_INET6 if ':' in bind_ip else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((bind_ip, 0))
    print(json.dumps({'port': sock.getsockname()[1]}), flush=True)
    while True:
        data, source = sock.recvfrom(UDP_MAX_SIZE)
        results = {}
        for key in keys:
            try:
                results[key] = {'ok': status_message.unwrap_envelope(data, key)}
            except Exception as error:  # the receiver drops such packets
                results[key] = {'error': type(error).__name__}
        print(json.dumps({'length': len(data), 'source': source[0], 'results': results}), flush=True)


if __name__ == '__main__':
    main()
