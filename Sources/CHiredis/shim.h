#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <fcntl.h>
#include <errno.h>
#include <unistd.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

/* The socket and TLS half of a Redis connection. hiredis 0.14 stays the reply decoder
   (redisReader, with the flat object functions of RedisClient); these helpers only open
   sockets and TLS sessions, so that one connection type drives plain TCP, unix sockets and TLS
   alike. Every function returns 0 (or a descriptor) on success and writes a secret-free
   message into `err` on failure. */

enum { SLX_OK = 0, SLX_FAILED = -1, SLX_TIMEOUT = -2 };

static inline int slx_errorf(char *err, size_t errlen, int code, const char *what, int e) {
    snprintf(err, errlen, "%s: %s", what, strerror(e));
    return code;
}

/* Socket timeouts for every later send and receive: the per-operation timeout hiredis had. */
static inline void slx_set_io_timeout(int fd, int timeout_ms) {
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* connect() bounded by timeout_ms: 0, SLX_TIMEOUT, or an errno value. */
static inline int slx_connect_within(int fd, const struct sockaddr *addr, socklen_t len, int timeout_ms) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
    int rc = connect(fd, addr, len);
    if (rc != 0 && errno != EINPROGRESS) return errno;
    if (rc != 0) {
        struct pollfd p = { fd, POLLOUT, 0 };
        do { rc = poll(&p, 1, timeout_ms); } while (rc < 0 && errno == EINTR);
        if (rc == 0) return SLX_TIMEOUT;
        if (rc < 0) return errno;
        int soerr = 0;
        socklen_t size = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &size) < 0) return errno;
        if (soerr != 0) return soerr;
    }
    if (fcntl(fd, F_SETFL, flags) < 0) return errno;
    return 0;
}

/* A TCP connection to host:port (every address it resolves to, in order), with TCP_NODELAY,
   keep-alive and the I/O timeout set. Returns the descriptor, SLX_FAILED or SLX_TIMEOUT. */
static inline int slx_connect_tcp(const char *host, int port, int timeout_ms, char *err, size_t errlen) {
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints, *list = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, service, &hints, &list);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve the host: %s", gai_strerror(rc));
        return SLX_FAILED;
    }
    int result = SLX_FAILED;
    snprintf(err, errlen, "no address to connect to");
    for (struct addrinfo *a = list; a != NULL; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) { slx_errorf(err, errlen, SLX_FAILED, "socket", errno); continue; }
        rc = slx_connect_within(fd, a->ai_addr, a->ai_addrlen, timeout_ms);
        if (rc == 0) {
            int on = 1, idle = 15, interval = 5, count = 3;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
            setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
            slx_set_io_timeout(fd, timeout_ms);
            result = fd;
            break;
        }
        close(fd);
        if (rc == SLX_TIMEOUT) {
            snprintf(err, errlen, "connect: timed out");
            result = SLX_TIMEOUT;
        } else {
            slx_errorf(err, errlen, SLX_FAILED, "connect", rc);
            result = SLX_FAILED;
        }
    }
    freeaddrinfo(list);
    return result;
}

/* A unix-socket connection with the I/O timeout set. */
static inline int slx_connect_unix(const char *path, int timeout_ms, char *err, size_t errlen) {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr.sun_path) {
        snprintf(err, errlen, "the socket path is longer than %zu bytes", sizeof addr.sun_path - 1);
        return SLX_FAILED;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return slx_errorf(err, errlen, SLX_FAILED, "socket", errno);
    int rc = slx_connect_within(fd, (struct sockaddr *)&addr, sizeof addr, timeout_ms);
    if (rc != 0) {
        close(fd);
        if (rc == SLX_TIMEOUT) { snprintf(err, errlen, "connect: timed out"); return SLX_TIMEOUT; }
        return slx_errorf(err, errlen, SLX_FAILED, "connect", rc);
    }
    slx_set_io_timeout(fd, timeout_ms);
    return fd;
}

/* Sends all of buf. 0, SLX_TIMEOUT, or SLX_FAILED (err set). */
static inline int slx_send_all(int fd, const void *buf, size_t len, char *err, size_t errlen) {
    const char *p = (const char *)buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) { snprintf(err, errlen, "write: timed out"); return SLX_TIMEOUT; }
            return slx_errorf(err, errlen, SLX_FAILED, "write", errno);
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Receives what is there (at most len bytes): the count, 0 when the server closed the
   connection, SLX_TIMEOUT, or SLX_FAILED. */
static inline long slx_receive(int fd, void *buf, size_t len, char *err, size_t errlen) {
    for (;;) {
        ssize_t n = recv(fd, buf, len, 0);
        if (n >= 0) return (long)n;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) { snprintf(err, errlen, "read: timed out"); return SLX_TIMEOUT; }
        return slx_errorf(err, errlen, SLX_FAILED, "read", errno);
    }
}

/* ---- TLS (GnuTLS) ---- */

/* Client credentials: the CA bundle (or the system's CAs when ca_file is NULL) and, when both
   are given, a client certificate chain and its key. On failure returns a GnuTLS error code
   and sets *what: 1 the CA file, 2 the certificate file, 3 the key file, 4 the key does not
   belong to the certificate, 5 the system's CAs. */
static inline int slx_tls_client_credentials(gnutls_certificate_credentials_t *out, const char *ca_file,
                                             const char *cert_file, const char *key_file, int *what) {
    *what = 0;
    int rc = gnutls_certificate_allocate_credentials(out);
    if (rc < 0) return rc;
    if (ca_file != NULL) {
        *what = 1;
        rc = gnutls_certificate_set_x509_trust_file(*out, ca_file, GNUTLS_X509_FMT_PEM);
        if (rc == 0) rc = GNUTLS_E_NO_CERTIFICATE_FOUND;
    } else {
        *what = 5;
        rc = gnutls_certificate_set_x509_system_trust(*out);
    }
    if (rc >= 0 && cert_file != NULL && key_file != NULL) {
        gnutls_datum_t data = { NULL, 0 };
        *what = 2;
        rc = gnutls_load_file(cert_file, &data);
        if (rc >= 0) {
            gnutls_x509_crt_t *chain = NULL;
            unsigned int count = 0;
            rc = gnutls_x509_crt_list_import2(&chain, &count, &data, GNUTLS_X509_FMT_PEM, 0);
            gnutls_free(data.data);
            data.data = NULL;
            if (rc >= 0) {
                for (unsigned int i = 0; i < count; i++) gnutls_x509_crt_deinit(chain[i]);
                gnutls_free(chain);
                if (count == 0) rc = GNUTLS_E_NO_CERTIFICATE_FOUND;
            }
        }
        if (rc >= 0) {
            *what = 3;
            rc = gnutls_load_file(key_file, &data);
            if (rc >= 0) {
                gnutls_x509_privkey_t key;
                rc = gnutls_x509_privkey_init(&key);
                if (rc >= 0) {
                    rc = gnutls_x509_privkey_import2(key, &data, GNUTLS_X509_FMT_PEM, NULL, 0);
                    gnutls_x509_privkey_deinit(key);
                }
                gnutls_free(data.data);
            }
        }
        if (rc >= 0) {
            *what = 4;
            rc = gnutls_certificate_set_x509_key_file(*out, cert_file, key_file, GNUTLS_X509_FMT_PEM);
        }
    }
    if (rc < 0) {
        gnutls_certificate_free_credentials(*out);
        *out = NULL;
        return rc;
    }
    return 0;
}

/* A client session on fd: TLS 1.2 or 1.3, SNI when sni is non-NULL, the certificate verified
   for `verify_name` when it is non-NULL (a DNS name or an IP address), then the handshake,
   bounded by timeout_ms. Returns 0 or a GnuTLS error code (GNUTLS_E_TIMEDOUT on timeout);
   *session is set either way and must be freed with gnutls_deinit. */
static inline int slx_tls_handshake(gnutls_session_t *session, gnutls_certificate_credentials_t cred, int fd,
                                    const char *sni, const char *verify_name, int timeout_ms) {
    int rc = gnutls_init(session, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL);
    if (rc < 0) { *session = NULL; return rc; }
    rc = gnutls_priority_set_direct(*session, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", NULL);
    if (rc < 0) return rc;
    rc = gnutls_credentials_set(*session, GNUTLS_CRD_CERTIFICATE, cred);
    if (rc < 0) return rc;
    if (sni != NULL) {
        rc = gnutls_server_name_set(*session, GNUTLS_NAME_DNS, sni, strlen(sni));
        if (rc < 0) return rc;
    }
    if (verify_name != NULL) gnutls_session_set_verify_cert(*session, verify_name, 0);
    gnutls_transport_set_int(*session, fd);
    gnutls_handshake_set_timeout(*session, (unsigned int)timeout_ms);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        rc = gnutls_handshake(*session);
        if (rc >= 0 || gnutls_error_is_fatal(rc)) return rc;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= timeout_ms) return GNUTLS_E_TIMEDOUT;
    }
}

static inline long slx_elapsed_ms(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Sends all of buf over the session: 0 or a GnuTLS error code (GNUTLS_E_AGAIN once timeout_ms
   passed without progress). */
static inline int slx_tls_send_all(gnutls_session_t session, const void *buf, size_t len, int timeout_ms) {
    const char *p = (const char *)buf;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (len > 0) {
        ssize_t n = gnutls_record_send(session, p, len);
        if (n == GNUTLS_E_INTERRUPTED) continue;
        if (n == GNUTLS_E_AGAIN && slx_elapsed_ms(&start) < timeout_ms) continue;
        if (n < 0) return (int)n;
        p += n;
        len -= (size_t)n;
        clock_gettime(CLOCK_MONOTONIC, &start);
    }
    return 0;
}

/* Receives what is there: the count, 0 on an orderly close, or a GnuTLS error code
   (GNUTLS_E_AGAIN when timeout_ms passed without data, GNUTLS_E_PREMATURE_TERMINATION when the
   socket closed). GnuTLS also answers GNUTLS_E_AGAIN after a TLS 1.3 post-handshake message
   (a session ticket) with no data: that is not a timeout, so it reads again. */
static inline long slx_tls_receive(gnutls_session_t session, void *buf, size_t len, int timeout_ms) {
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        ssize_t n = gnutls_record_recv(session, buf, len);
        if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_REHANDSHAKE) continue;
        if (n == GNUTLS_E_AGAIN && slx_elapsed_ms(&start) < timeout_ms) continue;
        return (long)n;
    }
}

/* Whether the server on fd answers a TLS handshake (certificate not checked): 1 or 0. Used
   only to explain a plain-text connection that a server refused. */
static inline int slx_tls_probe(int fd, int timeout_ms) {
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0) return 0;
    gnutls_session_t session = NULL;
    int rc = slx_tls_handshake(&session, cred, fd, NULL, NULL, timeout_ms);
    int spoke = rc >= 0 || rc == GNUTLS_E_FATAL_ALERT_RECEIVED || rc == GNUTLS_E_CERTIFICATE_ERROR;
    if (session != NULL) gnutls_deinit(session);
    gnutls_certificate_free_credentials(cred);
    return spoke;
}

/* GnuTLS' own words for a verification status, into buf. */
static inline void slx_tls_status_text(unsigned int status, char *buf, size_t len) {
    gnutls_datum_t out = { NULL, 0 };
    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0 && out.data != NULL) {
        snprintf(buf, len, "%s", (const char *)out.data);
        gnutls_free(out.data);
    } else {
        snprintf(buf, len, "verification failed (status %u)", status);
    }
}
