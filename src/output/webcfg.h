/* webcfg.h - the metrics endpoint's web configuration file, in the format of Prometheus'
 * exporter-toolkit (node_exporter's and Prometheus' own --web.config.file): TLS
 * (tls_server_config) and basic authentication (basic_auth_users, bcrypt hashes). Operators
 * reuse the files they have for their exporters.
 *
 *   tls_server_config:
 *     cert_file: server.crt          # PEM, the chain after the leaf; relative to this file
 *     key_file: server.key           # PEM; root's, not readable by other users
 *     client_auth_type: RequireAndVerifyClientCert   # or VerifyClientCertIfGiven, NoClientCert
 *     client_ca_file: clients-ca.crt
 *     min_version: TLS12             # TLS10 .. TLS13; max_version likewise
 *   basic_auth_users:
 *     prometheus: $2y$10$...         # bcrypt (htpasswd -nBC 10 USER)
 *
 * Everything is read, parsed and checked at load: the files exist, are PEM, the key matches the
 * certificate, the certificate is valid now, the hashes are bcrypt and this system's crypt()
 * computes bcrypt. A setting the toolkit has and this endpoint does not implement is refused by
 * name, never ignored. */
#ifndef EM_WEBCFG_H
#define EM_WEBCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum webcfg_client_auth {
	WEBCFG_NO_CLIENT_CERT,		       /* NoClientCert (the default) */
	WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN,    /* VerifyClientCertIfGiven */
	WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT, /* RequireAndVerifyClientCert */
};

/* TLS protocol versions, in order. */
enum webcfg_tls_version { WEBCFG_TLS10 = 10, WEBCFG_TLS11, WEBCFG_TLS12, WEBCFG_TLS13 };

struct webcfg_user {
	char *name;
	char *hash; /* bcrypt: $2a$, $2b$ or $2y$ */
};

struct webcfg {
	char *path; /* the file, as given */
	bool tls;
	char *cert_pem, *key_pem, *ca_pem;    /* NUL-terminated file contents; ca_pem NULL: none */
	char *cert_file, *key_file, *ca_file; /* resolved paths, for messages */
	enum webcfg_client_auth client_auth;
	enum webcfg_tls_version min_version, max_version;
	char *priorities;    /* the GnuTLS priority string for min..max_version */
	time_t cert_expires; /* the leaf certificate's notAfter */
	struct webcfg_user *users;
	size_t nusers;
};

/* Failures: -EINVAL (what the file says is wrong, a file missing, unreadable or not matching:
 * a configuration error), -EPERM (a file that holds a secret is another user's or readable by
 * every user: unsafe), -ENOTSUP (this build or system lacks TLS or bcrypt), -ENOMEM. err names
 * the file, the setting and the fix. */

/* Loads `path`. plain_http_auth: basic_auth_users is allowed without tls_server_config
 * (output.prometheus.basic_auth_over_http; credentials cross the network in clear text). */
int webcfg_load(const char *path, bool plain_http_auth, struct webcfg *wc, char *err,
		size_t errlen);
void webcfg_free(struct webcfg *wc); /* leaves it zeroed */
/* The same settings and file contents (a reload with nothing changed restarts nothing). */
bool webcfg_same(const struct webcfg *a, const struct webcfg *b);

/* "TLS12"-style name of a version. */
const char *webcfg_tls_version_name(enum webcfg_tls_version v);
/* The client_auth_type name. */
const char *webcfg_client_auth_name(enum webcfg_client_auth a);
/* Whether this build has TLS (GnuTLS) support for the endpoint. */
bool webcfg_have_tls(void);

#endif
