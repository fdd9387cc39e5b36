#include <sys/types.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <gnutls/gnutls.h>
#include <crypt.h>

/* MHD_start_daemon and MHD_get_daemon_info are variadic and so invisible from Swift;
   these fixed-signature forwards are the whole C surface the wrapper needs. */
static inline struct MHD_Daemon *slx_mhd_start(unsigned int flags,
                                               const struct sockaddr *addr,
                                               MHD_AccessHandlerCallback handler,
                                               void *handler_cls,
                                               MHD_RequestCompletedCallback completed,
                                               unsigned int connection_limit,
                                               unsigned int connection_timeout,
                                               size_t connection_memory_limit,
                                               unsigned int thread_pool_size) {
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_SOCK_ADDR, addr,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, handler_cls,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory_limit,
                            MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size,
                            MHD_OPTION_END);
}

static inline uint16_t slx_mhd_bind_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

static inline unsigned int slx_mhd_connections(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}
