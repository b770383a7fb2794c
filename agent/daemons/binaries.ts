/** The reference's keepalived path (`KEEPALIVED_CMD`), for LVS and VRRP; not configurable there either. */
export const KEEPALIVED_COMMAND = '/usr/sbin/keepalived';
