"""Prints Octavia's own status_message.wrap_envelope(json.loads(argv[1]), argv[2]) as hex."""
import json
import sys

from octavia.amphorae.backends.health_daemon import status_message

print(status_message.wrap_envelope(json.loads(sys.argv[1]), sys.argv[2]).hex())
