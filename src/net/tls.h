/*
 * tls: mbedTLS glue for libuv streams.
 *
 * A tls_profile is one shared mbedtls_ssl_config (trust anchors, optional own
 * certificate and key, RNG): create it once per set of TLS settings and share
 * it between every connection that uses them. It is reference counted: the
 * creator holds one reference, every session holds one, the last unref frees.
 *
 * A tls_session is the per-connection state: an mbedtls_ssl_context whose BIO
 * callbacks never touch a socket. Ciphertext read by the owner from its
 * uv_stream_t is handed in with tls_session_feed() (the bytes stay in the
 * owner's read buffer, which bounds them; mbedTLS pulls from it during
 * handshake/read and keeps partial records in its own record buffer).
 * Ciphertext produced by mbedTLS is appended to an output buffer (bounded by
 * TLS_OUT_MAX) that the session flushes with uv_write on the owner's stream
 * after every operation. The session never closes the stream; the owner frees
 * the session from the stream's close callback (after libuv has cancelled
 * pending writes), never before.
 *
 * Host name verification: for a DNS name mbedtls_ssl_set_hostname() sets SNI
 * and makes mbedTLS check the certificate's dNSName SANs / CN. mbedTLS 2.28
 * does not match iPAddress SANs (its parser does not even keep them), so for
 * an IP literal the session sends no SNI (RFC 6066) and checks the peer
 * certificate's iPAddress SANs itself from the raw extension, reporting a
 * mismatch as MBEDTLS_X509_BADCERT_CN_MISMATCH like mbedTLS would.
 */
#ifndef AG_NET_TLS_H
#define AG_NET_TLS_H

#include <stddef.h>
#include <uv.h>

#include "base/err.h"

/* Bound of ciphertext queued by one operation before it is handed to uv. */
#define TLS_OUT_MAX (64 * 1024)

struct tls_profile_opts {
	int server;                 /* 1: server side (tests, servers) */
	/* Trust anchors, file or PEM data (len excludes any NUL). Client side:
	 * verifies the server; neither set means the system bundle. Server
	 * side: if set, a client certificate signed by it is required. */
	const char *ca_file;
	const char *ca_pem;
	size_t ca_pem_len;
	/* Own certificate chain and key, file or PEM data; optional for
	 * clients, required for servers. */
	const char *cert_file;
	const char *cert_pem;
	size_t cert_pem_len;
	const char *key_file;
	const char *key_pem;
	size_t key_pem_len;
	/* Client side: skip server certificate verification entirely. The
	 * caller logs a warning; see tls_profile_insecure(). */
	int insecure_skip_verify;
};

struct tls_profile;
struct tls_session;

/* Result codes of session operations (besides byte counts). */
enum {
	TLS_AGAIN = 0,      /* needs more ciphertext input */
	TLS_DONE = 1,       /* handshake complete */
	TLS_ERR = -1,       /* other TLS failure */
	TLS_ECERT = -2,     /* peer certificate rejected */
	TLS_EALERT = -3,    /* fatal alert received from the peer */
	TLS_EOF = -4,       /* peer sent close_notify */
};

/* Creates a profile holding one reference; files and PEM data are read now. */
int tls_profile_new(struct tls_profile **out, const struct tls_profile_opts *o,
    struct err *e);
struct tls_profile *tls_profile_ref(struct tls_profile *p);
void tls_profile_unref(struct tls_profile *p);
int tls_profile_insecure(const struct tls_profile *p);

/* Called when a tls_session_write's ciphertext has been written (status 0)
 * or failed/was cancelled (libuv error code). */
typedef void (*tls_write_cb)(void *arg, int status);

/*
 * Creates a session on `stream` (already connected). Client side: `host` is
 * the name to verify (DNS name or IP literal); server side: NULL. Takes a
 * profile reference.
 */
int tls_session_new(struct tls_session **out, struct tls_profile *p,
    uv_stream_t *stream, const char *host, struct err *e);
/* Frees the session; call only once the stream is closed (close callback). */
void tls_session_free(struct tls_session *s);

/* Hands in ciphertext; the bytes must stay valid until the next handshake
 * or read call returns. Any unconsumed rest is dropped by the next feed. */
void tls_session_feed(struct tls_session *s, const char *data, size_t len);
/* TLS_DONE, TLS_AGAIN, or a negative TLS_E* code with e set. */
int tls_session_handshake(struct tls_session *s, struct err *e);
/* Plaintext bytes (>0), TLS_AGAIN, TLS_EOF or a negative code with e set. */
int tls_session_read(struct tls_session *s, char *buf, size_t cap,
    struct err *e);
/* Encrypts all of data now and queues it; cb (may be NULL) runs once the
 * ciphertext is written. 0 or a negative code with e set. */
int tls_session_write(struct tls_session *s, const void *data, size_t len,
    tls_write_cb cb, void *arg, struct err *e);
/* Bytes fed but not consumed plus decrypted bytes not yet read. */
size_t tls_session_pending(const struct tls_session *s);

/* Heap of one established session: the struct plus mbedTLS's input and
 * output record buffers (MBEDTLS_SSL_IN/OUT_BUFFER_LEN, from
 * MBEDTLS_SSL_IN/OUT_CONTENT_LEN, 16 KiB each in Debian's build). Not
 * counted: the peer certificate kept by MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
 * and the transient handshake state. */
size_t tls_session_sizeof(void);

#endif
