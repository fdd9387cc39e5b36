#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netdb.h>
#include <stdint.h>
#include <stdarg.h>
#include <string.h>
#include <microhttpd.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>

/* MHD_start_daemon, MHD_get_daemon_info and MHD_get_connection_info are variadic and so
   invisible from Swift; these fixed-signature forwards are the whole C surface the wrapper needs. */

/* Starts a daemon that binds `addr`, or (listen_fd >= 0) that accepts on a socket that is already
   listening. The optional parts go through MHD_OPTION_ARRAY so that an absent one is not passed
   at all: MHD refuses HTTPS options without MHD_USE_TLS.
   MHD keeps the TLS string pointers (NUL-terminated PEM, or NULL): the caller owns them until
   MHD_stop_daemon has returned. */
static inline struct MHD_Daemon *slx_mhd_start(unsigned int flags,
                                               const struct sockaddr *addr,
                                               int listen_fd,
                                               MHD_AccessHandlerCallback handler,
                                               void *handler_cls,
                                               MHD_RequestCompletedCallback completed,
                                               MHD_NotifyConnectionCallback notify_connection,
                                               unsigned int connection_limit,
                                               unsigned int per_address_limit,
                                               unsigned int connection_timeout,
                                               size_t connection_memory_limit,
                                               unsigned int thread_pool_size,
                                               const char *tls_key_pem,
                                               const char *tls_cert_pem,
                                               const char *tls_trust_pem) {
    struct MHD_OptionItem extra[7];
    unsigned int n = 0;
    if (per_address_limit > 0) {
        extra[n].option = MHD_OPTION_PER_IP_CONNECTION_LIMIT;
        extra[n].value = per_address_limit;
        extra[n].ptr_value = NULL;
        n++;
    }
    if (listen_fd >= 0) {
        extra[n].option = MHD_OPTION_LISTEN_SOCKET;
        extra[n].value = listen_fd;
        extra[n].ptr_value = NULL;
        n++;
    } else {
        extra[n].option = MHD_OPTION_SOCK_ADDR;
        extra[n].value = 0;
        extra[n].ptr_value = (void *)addr;
        n++;
    }
    if (tls_key_pem != NULL && tls_cert_pem != NULL) {
        extra[n].option = MHD_OPTION_HTTPS_MEM_KEY;
        extra[n].value = 0;
        extra[n].ptr_value = (void *)tls_key_pem;
        n++;
        extra[n].option = MHD_OPTION_HTTPS_MEM_CERT;
        extra[n].value = 0;
        extra[n].ptr_value = (void *)tls_cert_pem;
        n++;
        if (tls_trust_pem != NULL) {
            /* Also what makes MHD ask for a client certificate (GNUTLS_CERT_REQUEST). */
            extra[n].option = MHD_OPTION_HTTPS_MEM_TRUST;
            extra[n].value = 0;
            extra[n].ptr_value = (void *)tls_trust_pem;
            n++;
        }
    }
    extra[n].option = MHD_OPTION_END;
    extra[n].value = 0;
    extra[n].ptr_value = NULL;
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, handler_cls,
                            MHD_OPTION_NOTIFY_CONNECTION, notify_connection, handler_cls,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory_limit,
                            MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size,
                            MHD_OPTION_ARRAY, extra,
                            MHD_OPTION_END);
}

/* The socket of `connection` (-1 if MHD does not say). */
static inline int slx_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info ? info->connect_fd : -1;
}

/* The daemon's listening socket (-1 once quiesced or without one). */
static inline int slx_mhd_listen_fd(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_LISTEN_FD);
    return info ? info->listen_fd : -1;
}

static inline uint16_t slx_mhd_bind_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

static inline unsigned int slx_mhd_connections(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

/* Parses the server certificate chain, the private key and the client CA bundle (if any) and
   loads them into throwaway GnuTLS credentials the way MHD will, so that a refusal can be
   reported precisely before the daemon starts. Returns 0, or a GnuTLS error code with *what
   set to 1 (certificate), 2 (private key), 3 (key does not fit the certificate) or 4 (client CA;
   GNUTLS_E_NO_CERTIFICATE_FOUND when the bundle holds no certificate). */
static inline int slx_tls_check(const char *key_pem, const char *cert_pem,
                                const char *trust_pem, int *what) {
    gnutls_datum_t key = { (unsigned char *)key_pem, (unsigned int)strlen(key_pem) };
    gnutls_datum_t cert = { (unsigned char *)cert_pem, (unsigned int)strlen(cert_pem) };
    gnutls_x509_crt_t *chain = NULL;
    unsigned int count = 0;
    *what = 1;
    int rc = gnutls_x509_crt_list_import2(&chain, &count, &cert, GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0) return rc;
    for (unsigned int i = 0; i < count; i++) gnutls_x509_crt_deinit(chain[i]);
    gnutls_free(chain);
    if (count == 0) return GNUTLS_E_NO_CERTIFICATE_FOUND;

    *what = 2;
    gnutls_x509_privkey_t private_key;
    rc = gnutls_x509_privkey_init(&private_key);
    if (rc < 0) return rc;
    rc = gnutls_x509_privkey_import2(private_key, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_x509_privkey_deinit(private_key);
    if (rc < 0) return rc;

    *what = 3;
    gnutls_certificate_credentials_t cred;
    rc = gnutls_certificate_allocate_credentials(&cred);
    if (rc < 0) return rc;
    rc = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM);
    if (rc >= 0 && trust_pem != NULL) {
        *what = 4;
        gnutls_datum_t trust = { (unsigned char *)trust_pem, (unsigned int)strlen(trust_pem) };
        rc = gnutls_certificate_set_x509_trust_mem(cred, &trust, GNUTLS_X509_FMT_PEM);
        if (rc == 0) rc = GNUTLS_E_NO_CERTIFICATE_FOUND;
    }
    gnutls_certificate_free_credentials(cred);
    return rc < 0 ? rc : 0;
}

/* What the TLS client of `connection` presented: 0 no certificate (or not TLS), 1 a certificate
   that verifies against the daemon's trust list (MHD_OPTION_HTTPS_MEM_TRUST) for TLS client
   authentication, 2 a certificate that does not (or was not checked: verify == 0). */
static inline int slx_tls_client_certificate(struct MHD_Connection *connection, int verify) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (info == NULL || info->tls_session == NULL) return 0;
    gnutls_session_t session = (gnutls_session_t)info->tls_session;
    unsigned int count = 0;
    const gnutls_datum_t *chain = gnutls_certificate_get_peers(session, &count);
    if (chain == NULL || count == 0) return 0;
    if (!verify) return 2;
    gnutls_typed_vdata_st purpose;
    purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
    purpose.data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT;
    purpose.size = 0;
    unsigned int status = ~0u;
    if (gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0) return 2;
    return status == 0 ? 1 : 2;
}

/* The client's numeric address ("127.0.0.1", "::1") into buf; 0 on success. */
static inline int slx_client_address(struct MHD_Connection *connection, char *buf, size_t len) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == NULL || info->client_addr == NULL || len == 0) return -1;
    const struct sockaddr *address = info->client_addr;
    socklen_t size = address->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    return getnameinfo(address, size, buf, (socklen_t)len, NULL, 0, NI_NUMERICHOST);
}

