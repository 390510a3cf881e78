/*
 * tls: mbedTLS profiles and per-connection sessions over uv streams (see
 * tls.h for the buffering model and ownership).
 */
#include "net/tls.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_internal.h>
#include <mbedtls/x509_crt.h>

#define TLS_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"

struct tls_profile {
	int refs;
	int server;
	int insecure;
	int has_own;
	mbedtls_ssl_config conf;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt ca;
	mbedtls_x509_crt own;
	mbedtls_pk_context key;
};

/* One queued chunk of ciphertext; freed by its uv_write callback. */
struct tls_out {
	uv_write_t req;
	tls_write_cb cb;
	void *arg;
	size_t len;
	size_t cap;
	char data[];
};

struct tls_session {
	mbedtls_ssl_context ssl;
	struct tls_profile *profile;
	uv_stream_t *stream;
	const char *in;             /* fed ciphertext (owner's read buffer) */
	size_t in_len;
	struct tls_out *out;        /* ciphertext not yet handed to uv */
	unsigned char ip[16];       /* IP literal host: expected iPAddress SAN */
	size_t ip_len;
};

static void
tls_strerror(struct err *e, const char *what, int rc)
{
	char buf[160];

	mbedtls_strerror(rc, buf, sizeof(buf));
	err_set(e, "%s: %s (-0x%04x)", what, buf, (unsigned)-rc);
}

/* Parses PEM data (not NUL-terminated) into a chain; mbedTLS wants the NUL. */
static int
tls_crt_load(mbedtls_x509_crt *crt, const char *file, const char *pem,
    size_t len, const char *what, struct err *e)
{
	char *copy;
	int rc;

	if (file != NULL) {
		rc = mbedtls_x509_crt_parse_file(crt, file);
		if (rc != 0) {
			tls_strerror(e, what, rc);
			return err_prefix(e, "%s", file);
		}
		return 0;
	}
	if ((copy = malloc(len + 1)) == NULL)
		return err_set(e, "%s: out of memory", what);
	memcpy(copy, pem, len);
	copy[len] = '\0';
	rc = mbedtls_x509_crt_parse(crt, (const unsigned char *)copy, len + 1);
	free(copy);
	if (rc != 0)
		return tls_strerror(e, what, rc), -1;
	return 0;
}

static int
tls_key_load(mbedtls_pk_context *pk, const struct tls_profile_opts *o,
    struct err *e)
{
	char *copy;
	int rc;

	if (o->key_file != NULL) {
		rc = mbedtls_pk_parse_keyfile(pk, o->key_file, NULL);
		if (rc != 0) {
			tls_strerror(e, "client key", rc);
			return err_prefix(e, "%s", o->key_file);
		}
		return 0;
	}
	if ((copy = malloc(o->key_pem_len + 1)) == NULL)
		return err_set(e, "key: out of memory");
	memcpy(copy, o->key_pem, o->key_pem_len);
	copy[o->key_pem_len] = '\0';
	rc = mbedtls_pk_parse_key(pk, (const unsigned char *)copy,
	    o->key_pem_len + 1, NULL, 0);
	mbedtls_platform_zeroize(copy, o->key_pem_len);
	free(copy);
	if (rc != 0)
		return tls_strerror(e, "key", rc), -1;
	return 0;
}

static int
tls_profile_load(struct tls_profile *p, const struct tls_profile_opts *o,
    struct err *e)
{
	int has_ca = o->ca_file != NULL || o->ca_pem != NULL;
	int has_cert = o->cert_file != NULL || o->cert_pem != NULL;
	int has_key = o->key_file != NULL || o->key_pem != NULL;
	int rc;

	if (has_cert != has_key)
		return err_set(e, "TLS: a certificate needs its key and a key "
		    "its certificate");
	if (o->server && !has_cert)
		return err_set(e, "TLS: a server needs a certificate and key");
	if (has_ca && tls_crt_load(&p->ca, o->ca_file, o->ca_pem,
	    o->ca_pem_len, "CA certificate", e) != 0)
		return -1;
	if (!has_ca && !o->server && !o->insecure_skip_verify &&
	    tls_crt_load(&p->ca, TLS_SYSTEM_CA, NULL, 0, "CA certificate",
	    e) != 0)
		return -1;
	if (has_cert) {
		if (tls_crt_load(&p->own, o->cert_file, o->cert_pem,
		    o->cert_pem_len, "certificate", e) != 0 ||
		    tls_key_load(&p->key, o, e) != 0)
			return -1;
		rc = mbedtls_ssl_conf_own_cert(&p->conf, &p->own, &p->key);
		if (rc != 0)
			return tls_strerror(e, "TLS certificate", rc), -1;
		p->has_own = 1;
	}
	if (o->server) {
		mbedtls_ssl_conf_authmode(&p->conf, has_ca ?
		    MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_NONE);
	} else {
		mbedtls_ssl_conf_authmode(&p->conf, o->insecure_skip_verify ?
		    MBEDTLS_SSL_VERIFY_NONE : MBEDTLS_SSL_VERIFY_REQUIRED);
	}
	if (has_ca || (!o->server && !o->insecure_skip_verify))
		mbedtls_ssl_conf_ca_chain(&p->conf, &p->ca, NULL);
	return 0;
}

int
tls_profile_new(struct tls_profile **out, const struct tls_profile_opts *o,
    struct err *e)
{
	static const char pers[] = "artifact-generator tls";
	struct tls_profile *p;
	int rc;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return err_set(e, "TLS profile: out of memory");
	p->refs = 1;
	p->server = o->server;
	p->insecure = !o->server && o->insecure_skip_verify;
	mbedtls_ssl_config_init(&p->conf);
	mbedtls_entropy_init(&p->entropy);
	mbedtls_ctr_drbg_init(&p->drbg);
	mbedtls_x509_crt_init(&p->ca);
	mbedtls_x509_crt_init(&p->own);
	mbedtls_pk_init(&p->key);
	rc = mbedtls_ctr_drbg_seed(&p->drbg, mbedtls_entropy_func, &p->entropy,
	    (const unsigned char *)pers, sizeof(pers) - 1);
	if (rc != 0) {
		tls_strerror(e, "TLS random generator", rc);
		goto fail;
	}
	rc = mbedtls_ssl_config_defaults(&p->conf, o->server ?
	    MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc != 0) {
		tls_strerror(e, "TLS configuration", rc);
		goto fail;
	}
	mbedtls_ssl_conf_rng(&p->conf, mbedtls_ctr_drbg_random, &p->drbg);
	mbedtls_ssl_conf_min_version(&p->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	if (tls_profile_load(p, o, e) != 0)
		goto fail;
	*out = p;
	return 0;
fail:
	tls_profile_unref(p);
	return -1;
}

struct tls_profile *
tls_profile_ref(struct tls_profile *p)
{
	p->refs++;
	return p;
}

void
tls_profile_unref(struct tls_profile *p)
{
	if (p == NULL || --p->refs > 0)
		return;
	mbedtls_ssl_config_free(&p->conf);
	mbedtls_ctr_drbg_free(&p->drbg);
	mbedtls_entropy_free(&p->entropy);
	mbedtls_x509_crt_free(&p->ca);
	mbedtls_x509_crt_free(&p->own);
	mbedtls_pk_free(&p->key);
	free(p);
}

int
tls_profile_insecure(const struct tls_profile *p)
{
	return p->insecure;
}

/* ---- BIO callbacks over in-memory buffers ---- */

static int
tls_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_session *s = ctx;

	if (s->in_len == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (len > s->in_len)
		len = s->in_len;
	memcpy(buf, s->in, len);
	s->in += len;
	s->in_len -= len;
	return (int)len;
}

static int
tls_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_session *s = ctx;
	size_t used = s->out != NULL ? s->out->len : 0;
	size_t room;

	if (s->out == NULL || s->out->cap - used < len) {
		struct tls_out *o;
		size_t cap = s->out != NULL ? s->out->cap : 0;

		while (cap < TLS_OUT_MAX && cap - used < len)
			cap = cap == 0 ? 4096 : cap * 2;
		if (cap > TLS_OUT_MAX)
			cap = TLS_OUT_MAX;
		if (s->out == NULL || cap > s->out->cap) {
			if ((o = realloc(s->out, sizeof(*o) + cap)) == NULL)
				return MBEDTLS_ERR_SSL_ALLOC_FAILED;
			o->len = used;
			o->cap = cap;
			s->out = o;
		}
	}
	room = s->out->cap - used;
	if (room == 0)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	if (len > room)
		len = room;
	memcpy(s->out->data + s->out->len, buf, len);
	s->out->len += len;
	return (int)len;
}

static void
tls_on_written(uv_write_t *req, int status)
{
	struct tls_out *o = (struct tls_out *)req;

	if (o->cb != NULL)
		o->cb(o->arg, status);
	free(o);
}

/* Hands the queued ciphertext to uv; cb runs when it is written. */
static int
tls_flush(struct tls_session *s, tls_write_cb cb, void *arg, struct err *e)
{
	struct tls_out *o = s->out;
	uv_buf_t b;
	int rc;

	if (o == NULL) {
		if (cb != NULL)
			return err_set(e, "TLS: nothing to write");
		return 0;
	}
	s->out = NULL;
	o->cb = cb;
	o->arg = arg;
	b = uv_buf_init(o->data, (unsigned)o->len);
	rc = uv_write(&o->req, s->stream, &b, 1, tls_on_written);
	if (rc != 0) {
		free(o);
		return err_set(e, "write: %s", uv_strerror(rc));
	}
	return 0;
}

/* ---- iPAddress SAN check (mbedTLS 2.28 does not do it) ---- */

/* 1 if the SAN extension value (SEQUENCE OF GeneralName) holds ip. */
static int
tls_san_has_ip(unsigned char *p, const unsigned char *end,
    const unsigned char *ip, size_t ip_len)
{
	size_t len;

	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
	    MBEDTLS_ASN1_SEQUENCE) != 0)
		return 0;
	end = p + len;
	while (p < end) {
		unsigned char tag = *p++;

		if (mbedtls_asn1_get_len(&p, end, &len) != 0)
			return 0;
		if (tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) &&
		    len == ip_len && memcmp(p, ip, len) == 0)
			return 1;
		p += len;
	}
	return 0;
}

/* Walks the certificate's v3 extensions for subjectAltName. */
static int
tls_crt_has_ip(const mbedtls_x509_crt *crt, const unsigned char *ip,
    size_t ip_len)
{
	unsigned char *p = crt->v3_ext.p;
	const unsigned char *end = p + crt->v3_ext.len;
	size_t len;

	if (p == NULL || mbedtls_asn1_get_tag(&p, end, &len,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
		return 0;
	end = p + len;
	while (p < end) {
		const unsigned char *ext_end;
		mbedtls_x509_buf oid;
		int critical;

		if (mbedtls_asn1_get_tag(&p, end, &len,
		    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
			return 0;
		ext_end = p + len;
		if (mbedtls_asn1_get_tag(&p, ext_end, &oid.len,
		    MBEDTLS_ASN1_OID) != 0)
			return 0;
		oid.p = p;
		p += oid.len;
		if (mbedtls_asn1_get_bool(&p, ext_end, &critical) != 0 &&
		    p < ext_end && *p == MBEDTLS_ASN1_BOOLEAN)
			return 0;
		if (mbedtls_asn1_get_tag(&p, ext_end, &len,
		    MBEDTLS_ASN1_OCTET_STRING) != 0)
			return 0;
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_SUBJECT_ALT_NAME, &oid) == 0)
			return tls_san_has_ip(p, p + len, ip, ip_len);
		p = (unsigned char *)ext_end;
	}
	return 0;
}

static int
tls_verify_ip(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct tls_session *s = ctx;

	if (depth == 0 && !tls_crt_has_ip(crt, s->ip, s->ip_len))
		*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	return 0;
}

/* ---- sessions ---- */

static int
tls_session_set_host(struct tls_session *s, const char *host, struct err *e)
{
	int rc;

	if (inet_pton(AF_INET, host, s->ip) == 1)
		s->ip_len = 4;
	else if (inet_pton(AF_INET6, host, s->ip) == 1)
		s->ip_len = 16;
	if (s->ip_len > 0) {
		if (!s->profile->insecure)
			mbedtls_ssl_set_verify(&s->ssl, tls_verify_ip, s);
		return 0;
	}
	rc = mbedtls_ssl_set_hostname(&s->ssl, host);
	if (rc != 0)
		return tls_strerror(e, "TLS host name", rc), -1;
	return 0;
}

int
tls_session_new(struct tls_session **out, struct tls_profile *p,
    uv_stream_t *stream, const char *host, struct err *e)
{
	struct tls_session *s;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_set(e, "TLS session: out of memory");
	mbedtls_ssl_init(&s->ssl);
	s->profile = tls_profile_ref(p);
	s->stream = stream;
	rc = mbedtls_ssl_setup(&s->ssl, &p->conf);
	if (rc != 0) {
		tls_strerror(e, "TLS session", rc);
		goto fail;
	}
	if (!p->server && host != NULL && tls_session_set_host(s, host, e) != 0)
		goto fail;
	mbedtls_ssl_set_bio(&s->ssl, s, tls_bio_send, tls_bio_recv, NULL);
	*out = s;
	return 0;
fail:
	tls_session_free(s);
	return -1;
}

void
tls_session_free(struct tls_session *s)
{
	if (s == NULL)
		return;
	mbedtls_ssl_free(&s->ssl);
	tls_profile_unref(s->profile);
	free(s->out);
	free(s);
}

void
tls_session_feed(struct tls_session *s, const char *data, size_t len)
{
	s->in = data;
	s->in_len = len;
}

static const char *
tls_alert_name(int desc)
{
	switch (desc) {
	case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE: return "handshake failure";
	case MBEDTLS_SSL_ALERT_MSG_BAD_CERT: return "bad certificate";
	case MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT: return "unsupported certificate";
	case MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED: return "certificate revoked";
	case MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED: return "certificate expired";
	case MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN: return "certificate unknown";
	case MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA: return "unknown CA";
	case MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED: return "access denied";
	case MBEDTLS_SSL_ALERT_MSG_DECRYPT_ERROR: return "decrypt error";
	case MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION: return "protocol version";
	case MBEDTLS_SSL_ALERT_MSG_INSUFFICIENT_SECURITY: return "insufficient security";
	case MBEDTLS_SSL_ALERT_MSG_INTERNAL_ERROR: return "internal error";
	case MBEDTLS_SSL_ALERT_MSG_UNRECOGNIZED_NAME: return "unrecognized name";
	case 116: return "certificate required";
	default: return "alert";
	}
}

/* Maps an mbedTLS failure to a TLS_E* code and a message. */
static int
tls_fail(struct tls_session *s, int rc, struct err *e)
{
	char info[512];
	uint32_t flags;
	size_t n;

	if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		flags = mbedtls_ssl_get_verify_result(&s->ssl);
		if (mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags) < 0)
			strcpy(info, "verification failed");
		for (n = strlen(info); n > 0 && info[n - 1] == '\n'; n--)
			info[n - 1] = '\0';
		for (char *nl = info; (nl = strchr(nl, '\n')) != NULL; )
			*nl = ';';
		err_set(e, "TLS: bad %s certificate: %s", s->profile->server ?
		    "client" : "server", info);
		return TLS_ECERT;
	}
	if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
		int desc = s->ssl.in_msg != NULL ? s->ssl.in_msg[1] : -1;

		err_set(e, "TLS: the peer sent a fatal alert: %s (%d)",
		    tls_alert_name(desc), desc);
		return TLS_EALERT;
	}
	if (rc == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE) {
		/* mbedTLS fails silently here: tell the client why. */
		mbedtls_ssl_send_alert_message(&s->ssl,
		    MBEDTLS_SSL_ALERT_LEVEL_FATAL, MBEDTLS_SSL_ALERT_MSG_BAD_CERT);
		tls_flush(s, NULL, NULL, e);
		err_set(e, "TLS: the client sent no certificate");
		return TLS_ECERT;
	}
	tls_strerror(e, "TLS", rc);
	return TLS_ERR;
}

int
tls_session_handshake(struct tls_session *s, struct err *e)
{
	int rc;

	for (;;) {
		rc = mbedtls_ssl_handshake(&s->ssl);
		if (tls_flush(s, NULL, NULL, e) != 0)
			return TLS_ERR;
		if (rc == 0)
			return TLS_DONE;
		if (rc == MBEDTLS_ERR_SSL_WANT_READ)
			return TLS_AGAIN;
		if (rc != MBEDTLS_ERR_SSL_WANT_WRITE)
			return tls_fail(s, rc, e);
	}
}

int
tls_session_read(struct tls_session *s, char *buf, size_t cap, struct err *e)
{
	int rc;

	if (cap > INT32_MAX)
		cap = INT32_MAX;
	for (;;) {
		rc = mbedtls_ssl_read(&s->ssl, (unsigned char *)buf, cap);
		if (tls_flush(s, NULL, NULL, e) != 0)
			return TLS_ERR;
		if (rc > 0)
			return rc;
		if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			return TLS_EOF;
		if (rc == MBEDTLS_ERR_SSL_WANT_READ)
			return TLS_AGAIN;
		if (rc != MBEDTLS_ERR_SSL_WANT_WRITE)
			return tls_fail(s, rc, e);
	}
}

int
tls_session_write(struct tls_session *s, const void *data, size_t len,
    tls_write_cb cb, void *arg, struct err *e)
{
	const unsigned char *p = data;
	int rc;

	while (len > 0) {
		rc = mbedtls_ssl_write(&s->ssl, p, len);
		if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
			if (tls_flush(s, NULL, NULL, e) != 0)
				return TLS_ERR;
			continue;
		}
		if (rc < 0)
			return tls_fail(s, rc, e);
		p += rc;
		len -= (size_t)rc;
	}
	return tls_flush(s, cb, arg, e) == 0 ? 0 : TLS_ERR;
}

size_t
tls_session_sizeof(void)
{
	return sizeof(struct tls_session) + MBEDTLS_SSL_IN_BUFFER_LEN +
	    MBEDTLS_SSL_OUT_BUFFER_LEN;
}

size_t
tls_session_pending(const struct tls_session *s)
{
	return s->in_len + mbedtls_ssl_get_bytes_avail(&s->ssl);
}
