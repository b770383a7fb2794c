"""Runs Octavia's own health-manager update (UpdateHealthDb._update_health) on one datagram.

stdin: JSON {"datagram": hex, "key": str, "db_lb": <what get_lb_for_health_update returns>}.
The database is not available here, so the repositories are stubbed; the decision logic
(listener count, refresh, status mapping) is Octavia's. Prints what the update wrote.
"""
import json
import sys
import time
from unittest import mock

from octavia.common import config  # noqa: F401  registers the options the update reads
from octavia.amphorae.backends.health_daemon import status_message
from octavia.amphorae.drivers.health import heartbeat_udp

REPOSITORIES = ('amphora_repo', 'amphora_health_repo', 'listener_repo',
                'loadbalancer_repo', 'member_repo', 'pool_repo')


def main():
    request = json.load(sys.stdin)
    message = status_message.unwrap_envelope(bytes.fromhex(request['datagram']), request['key'])
    message['recv_time'] = time.time()
    with mock.patch.object(heartbeat_udp.db_api, 'get_session'):
        updater = heartbeat_udp.UpdateHealthDb()
        for name in REPOSITORIES:
            setattr(updater, name, mock.MagicMock())
        updater.amphora_repo.get_lb_for_health_update.return_value = request['db_lb']
        try:
            updater._update_health(message, '127.0.0.1')
            error = None
        except Exception as exc:  # update_health() logs these and carries on
            error = repr(exc)

    def writes(repo):
        return {call.args[1]: call.kwargs['operating_status'] for call in repo.update.call_args_list}

    print(json.dumps({
        'refreshed': updater.amphora_health_repo.replace.called,
        'listeners': writes(updater.listener_repo),
        'pools': writes(updater.pool_repo),
        'members': writes(updater.member_repo),
        'loadbalancer': writes(updater.loadbalancer_repo),
        'error': error,
    }))


if __name__ == '__main__':
    main()
