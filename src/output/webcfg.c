/* webcfg.c - loads and checks the endpoint's web configuration file (exporter-toolkit format,
 * see webcfg.h): the YAML through ydoc, certificates and keys through GnuTLS, bcrypt hashes
 * through the system's crypt_r() (libxcrypt). */
#include "output/webcfg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <crypt.h>

#include "core/io.h"
#include "core/ydoc.h"

#if EM_HAVE_GNUTLS
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#endif

#define WEBCFG_MAX_FILE (1 << 20) /* a PEM bundle or the YAML: 1 MiB at most */
#define WEBCFG_MAX_USERS 1024

/* Settings of exporter-toolkit that this endpoint does not implement: refused by name. */
static const char *const unsupported_top[] = { "http_server_config", "rate_limit", NULL };
static const char *const unsupported_tls[] = { "cert",
					       "key",
					       "cipher_suites",
					       "curve_preferences",
					       "prefer_server_cipher_suites",
					       "client_allowed_sans",
					       NULL };

bool webcfg_have_tls(void)
{
	return EM_HAVE_GNUTLS;
}

const char *webcfg_tls_version_name(enum webcfg_tls_version v)
{
	switch (v) {
	case WEBCFG_TLS10:
		return "TLS10";
	case WEBCFG_TLS11:
		return "TLS11";
	case WEBCFG_TLS12:
		return "TLS12";
	case WEBCFG_TLS13:
		return "TLS13";
	}
	return "?";
}

const char *webcfg_client_auth_name(enum webcfg_client_auth a)
{
	switch (a) {
	case WEBCFG_NO_CLIENT_CERT:
		return "NoClientCert";
	case WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN:
		return "VerifyClientCertIfGiven";
	case WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT:
		return "RequireAndVerifyClientCert";
	}
	return "?";
}

void webcfg_free(struct webcfg *wc)
{
	if (!wc)
		return;
	free(wc->path);
	free(wc->cert_pem);
	free(wc->key_pem);
	free(wc->ca_pem);
	free(wc->cert_file);
	free(wc->key_file);
	free(wc->ca_file);
	free(wc->priorities);
	for (size_t i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	memset(wc, 0, sizeof(*wc));
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool webcfg_same(const struct webcfg *a, const struct webcfg *b)
{
	if (a->tls != b->tls || a->client_auth != b->client_auth || a->nusers != b->nusers ||
	    !same_str(a->cert_pem, b->cert_pem) || !same_str(a->key_pem, b->key_pem) ||
	    !same_str(a->ca_pem, b->ca_pem) || !same_str(a->priorities, b->priorities))
		return false;
	for (size_t i = 0; i < a->nusers; i++)
		if (strcmp(a->users[i].name, b->users[i].name) ||
		    strcmp(a->users[i].hash, b->users[i].hash))
			return false;
	return true;
}

/* The loader's state: the document, the file's name for messages, where errors go. */
struct wload {
	struct ydoc d;
	const char *path;
	char *err;
	size_t errlen;
};

static int failf(struct wload *l, const struct ynode *n, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int failf(struct wload *l, const struct ynode *n, int r, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		snprintf(l->err, l->errlen, "%s:%d: %s", l->path, n->line, msg);
	else
		snprintf(l->err, l->errlen, "%s: %s", l->path, msg);
	return r;
}

/* A file the configuration names, relative to the configuration file's directory. */
static char *resolve(const char *cfg_path, const char *file)
{
	const char *slash = strrchr(cfg_path, '/');
	char *p;

	if (file[0] == '/' || !slash)
		return strdup(file);
	if (asprintf(&p, "%.*s/%s", (int)(slash - cfg_path), cfg_path, file) < 0)
		return NULL;
	return p;
}

/* A file that holds a secret (sb: its fstat): a regular file of root's (or of the user running
 * this), not readable, writable or searchable by other users and not writable by its group, in
 * directories no other user can write to (io_dir_check(), as for the PID and output files).
 * 0 or -EPERM with the fix in err. */
static int secret_check(const struct stat *sb, const char *what, const char *file, char *err,
			size_t errlen)
{
	char dir[4096], why[1024];
	const char *slash = strrchr(file, '/');
	int r;

	if (sb->st_uid != 0 && sb->st_uid != geteuid()) {
		snprintf(err, errlen,
			 "%s %s is owned by uid %u, not root: it holds a secret that user could "
			 "read or replace; chown root %s",
			 what, file, (unsigned)sb->st_uid, file);
		return -EPERM;
	}
	if (sb->st_mode & (S_IRWXO | S_IWGRP)) {
		snprintf(err, errlen,
			 "%s %s has mode %04o: it holds a secret and must not be readable by every "
			 "user (nor writable by its group); chmod 600 %s",
			 what, file, (unsigned)(sb->st_mode & 07777), file);
		return -EPERM;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - file) : 1,
		 slash ? (slash == file ? "/" : file) : ".");
	r = io_dir_check(dir, why, sizeof(why));
	if (r) {
		snprintf(err, errlen, "%s %s: %s", what, file, why);
		return r == -EPERM ? -EPERM : -EINVAL;
	}
	return 0;
}

/* Reads a whole file (at most WEBCFG_MAX_FILE) as a NUL-terminated string. secret: check it as
 * secret_check() does. *st (when not NULL): the file's fstat. 0, or -EINVAL/-EPERM/-ENOMEM with
 * err set. */
static int read_file(const char *what, const char *file, bool secret, char **out, size_t *outlen,
		     struct stat *st, char *err, size_t errlen)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = errno;
		snprintf(err, errlen, "%s %s: %s%s", what, file, strerror(r),
			 r == ENOENT ? " (give an existing file; a relative path is taken from the "
				       "web configuration file's directory)" :
				       "");
		return -EINVAL;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s %s is not a regular file", what, file);
		close(fd);
		return -EINVAL;
	}
	if (st)
		*st = sb;
	if (secret && (r = secret_check(&sb, what, file, err, errlen))) {
		close(fd);
		return r;
	}
	r = sb.st_size > WEBCFG_MAX_FILE ? -EFBIG : io_read_all(fd, WEBCFG_MAX_FILE, &buf, &len);
	close(fd);
	if (r == -ENOMEM) {
		snprintf(err, errlen, "%s %s: out of memory", what, file);
		return r;
	}
	if (r == -EFBIG) {
		snprintf(err, errlen, "%s %s is larger than %d bytes", what, file, WEBCFG_MAX_FILE);
		return -EINVAL;
	}
	if (r) {
		snprintf(err, errlen, "%s %s: %s", what, file, strerror(-r));
		return -EINVAL;
	}
	*out = buf;
	if (outlen)
		*outlen = len;
	return 0;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* The value of key `k` at map index i as a string, or an error. */
static int scalar(struct wload *l, size_t vi, const char *key, const char **out)
{
	const struct ynode *v = ydoc_node(&l->d, vi);
	char shown[SHOWN_SIZE];

	if (!ydoc_is_value(v))
		return failf(l, v, -EINVAL, "%s: expected a value, got %s", key,
			     ydoc_describe(v, shown, sizeof(shown)));
	*out = v->text;
	return 0;
}

static int parse_version(struct wload *l, size_t vi, const char *key, enum webcfg_tls_version *out)
{
	static const char *const names[] = { "TLS10", "TLS11", "TLS12", "TLS13" };
	const char *s;
	int r = scalar(l, vi, key, &s);

	if (r)
		return r;
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*out = (enum webcfg_tls_version)(WEBCFG_TLS10 + i);
			return 0;
		}
	return failf(l, ydoc_node(&l->d, vi), -EINVAL,
		     "%s: '%s' is not a TLS version; use TLS10, TLS11, TLS12 or TLS13", key, s);
}

static int parse_client_auth(struct wload *l, size_t vi, enum webcfg_client_auth *out)
{
	const char *s;
	int r = scalar(l, vi, "tls_server_config.client_auth_type", &s);

	if (r)
		return r;
	if (!strcmp(s, "NoClientCert"))
		*out = WEBCFG_NO_CLIENT_CERT;
	else if (!strcmp(s, "VerifyClientCertIfGiven"))
		*out = WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN;
	else if (!strcmp(s, "RequireAndVerifyClientCert"))
		*out = WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT;
	else if (!strcmp(s, "RequestClientCert") || !strcmp(s, "RequireAnyClientCert"))
		return failf(l, ydoc_node(&l->d, vi), -EINVAL,
			     "tls_server_config.client_auth_type: %s (a client certificate taken "
			     "without checking who signed it) is not supported: this endpoint "
			     "verifies client certificates against client_ca_file; use "
			     "RequireAndVerifyClientCert or VerifyClientCertIfGiven",
			     s);
	else
		return failf(l, ydoc_node(&l->d, vi), -EINVAL,
			     "tls_server_config.client_auth_type: '%s' is not one of NoClientCert, "
			     "VerifyClientCertIfGiven, RequireAndVerifyClientCert",
			     s);
	return 0;
}

#if EM_HAVE_GNUTLS
static const char *when(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, size, "%lld", (long long)t);
	return buf;
}

/* The certificates of a PEM file; *n of them in *crts (free with free_crts). */
static int import_crts(const char *what, const char *file, const char *pem,
		       gnutls_x509_crt_t **crts, unsigned *n, char *err, size_t errlen)
{
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)pem, (unsigned)strlen(pem) };
	int r = gnutls_x509_crt_list_import2(crts, n, &d, GNUTLS_X509_FMT_PEM, 0);

	if (r < 0 || !*n) {
		snprintf(err, errlen,
			 "%s %s: no PEM certificate in it (%s); give the PEM file (-----BEGIN "
			 "CERTIFICATE-----)",
			 what, file, r < 0 ? gnutls_strerror(r) : "empty");
		return -EINVAL;
	}
	return 0;
}

static void free_crts(gnutls_x509_crt_t *crts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
}

/* The server certificate and key: parse, in force now, matching. */
static int check_cert_key(struct webcfg *wc, char *err, size_t errlen)
{
	gnutls_x509_crt_t *crts = NULL;
	gnutls_x509_privkey_t key = NULL;
	gnutls_datum_t kd = { (unsigned char *)wc->key_pem, (unsigned)strlen(wc->key_pem) };
	unsigned char cid[64], kid[64];
	size_t cidlen = sizeof(cid), kidlen = sizeof(kid);
	unsigned n = 0;
	time_t now = time(NULL), from, until;
	char tb[64];
	int r;

	r = import_crts("tls_server_config.cert_file", wc->cert_file, wc->cert_pem, &crts, &n, err,
			errlen);
	if (r)
		return r;
	from = gnutls_x509_crt_get_activation_time(crts[0]);
	until = gnutls_x509_crt_get_expiration_time(crts[0]);
	wc->cert_expires = until;
	r = -EINVAL;
	if (until != (time_t)-1 && until < now) {
		snprintf(err, errlen,
			 "tls_server_config.cert_file %s: the certificate expired on %s; give a "
			 "current one",
			 wc->cert_file, when(until, tb, sizeof(tb)));
		goto out;
	}
	if (from != (time_t)-1 && from > now) {
		snprintf(err, errlen,
			 "tls_server_config.cert_file %s: the certificate is not valid before %s "
			 "(check this host's clock)",
			 wc->cert_file, when(from, tb, sizeof(tb)));
		goto out;
	}
	if (gnutls_x509_privkey_init(&key) < 0) {
		snprintf(err, errlen, "tls_server_config.key_file: out of memory");
		r = -ENOMEM;
		goto out;
	}
	if (gnutls_x509_privkey_import2(key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
		snprintf(err, errlen,
			 "tls_server_config.key_file %s: not an unencrypted PEM private key (an "
			 "encrypted key cannot be used unattended: openssl pkey -in KEY -out NEW)",
			 wc->key_file);
		goto out;
	}
	if (gnutls_x509_crt_get_key_id(crts[0], 0, cid, &cidlen) < 0 ||
	    gnutls_x509_privkey_get_key_id(key, 0, kid, &kidlen) < 0 || cidlen != kidlen ||
	    memcmp(cid, kid, cidlen)) {
		snprintf(err, errlen,
			 "tls_server_config.key_file %s does not match the certificate in "
			 "cert_file %s: give the key the certificate was issued for",
			 wc->key_file, wc->cert_file);
		goto out;
	}
	r = 0;
out:
	if (key)
		gnutls_x509_privkey_deinit(key);
	free_crts(crts, n);
	return r;
}

/* The priority string for the versions, checked by GnuTLS itself (TLS 1.3 needs 3.6.5). Its
 * base is the system's crypto policy where GnuTLS has one (@SYSTEM: RHEL's
 * update-crypto-policies, which RHEL's own libmicrohttpd follows), else GnuTLS' NORMAL; only the
 * protocol versions are set here. max_given: max_version was in the file; the default (TLS13)
 * comes down to TLS12 where GnuTLS has no TLS 1.3 (EL7's 3.3), a version asked for does not. */
static int make_priorities(struct webcfg *wc, bool max_given, char *err, size_t errlen)
{
	static const char *const kw[] = { "+VERS-TLS1.0", "+VERS-TLS1.1", "+VERS-TLS1.2",
					  "+VERS-TLS1.3" };
	static const char *const base[] = { "@SYSTEM", "NORMAL" };
	char buf[160] = "";
	gnutls_priority_t p;
	const char *pos = NULL;

	for (size_t b = 0; b < 2; b++) {
		snprintf(buf, sizeof(buf), "%s:-VERS-TLS-ALL", base[b]);
		for (int v = wc->min_version; v <= (int)wc->max_version; v++) {
			strcat(buf, ":");
			strcat(buf, kw[v - WEBCFG_TLS10]);
		}
		pos = NULL;
		if (gnutls_priority_init(&p, buf, &pos) >= 0) {
			gnutls_priority_deinit(p);
			wc->priorities = strdup(buf);
			return wc->priorities ? 0 : -ENOMEM;
		}
	}
	if (!max_given && wc->max_version == WEBCFG_TLS13 && wc->min_version < WEBCFG_TLS13) {
		wc->max_version = WEBCFG_TLS12;
		return make_priorities(wc, true, err, errlen);
	}
	snprintf(err, errlen,
		 "tls_server_config: this system's GnuTLS %s cannot do %s..%s (%s); %s",
		 gnutls_check_version(NULL), webcfg_tls_version_name(wc->min_version),
		 webcfg_tls_version_name(wc->max_version), pos ? pos : buf,
		 wc->max_version == WEBCFG_TLS13 ? "TLS 1.3 needs GnuTLS 3.6.5: set max_version: "
						   "TLS12" :
						   "choose other versions");
	return -ENOTSUP;
}
#endif

/* A bcrypt hash as the toolkit stores them: $2a$/$2b$/$2y$, two cost digits, 53 characters. */
static bool bcrypt_shaped(const char *h)
{
	static const char b64[] =
		"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$' ||
	    h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return false;
	for (int i = 7; i < 60; i++)
		if (!strchr(b64, h[i]))
			return false;
	return true;
}

/* This system's crypt_r() computes bcrypt (libxcrypt does; glibc's own crypt before 2.28, as
 * on RHEL 7, does not). */
static bool crypt_has_bcrypt(const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	bool ok;

	if (!cd)
		return false;
	out = crypt_r("ebpf-monitor", hash, cd);
	ok = out && !strncmp(out, hash, 7) && strlen(out) == 60;
	free(cd);
	return ok;
}

static int load_users(struct wload *l, size_t map, struct webcfg *wc)
{
	const struct ynode *m = ydoc_node(&l->d, map);
	char shown[SHOWN_SIZE];
	int r;

	if (m->kind != Y_MAP)
		return failf(l, m, -EINVAL,
			     "basic_auth_users: expected a mapping of user names to bcrypt hashes");
	r = ydoc_check_map(&l->d, map, "basic_auth_users", l->err, l->errlen);
	if (r)
		return failf(l, m, r, "%s", l->err);
	if (m->nkids / 2 > WEBCFG_MAX_USERS)
		return failf(l, m, -EINVAL, "basic_auth_users: more than %d users",
			     WEBCFG_MAX_USERS);
	wc->users = calloc(m->nkids / 2 + 1, sizeof(*wc->users));
	if (!wc->users)
		return -ENOMEM;
	for (size_t i = 0; i < m->nkids; i += 2) {
		const struct ynode *k = ydoc_node(&l->d, m->kids[i]);
		const char *h;
		struct webcfg_user *u = &wc->users[wc->nusers];

		if (!ydoc_is_value(k) || strchr(k->text, ':'))
			return failf(l, k, -EINVAL,
				     "basic_auth_users: '%s' cannot be a user name (empty, or a "
				     "':' in it)",
				     ydoc_shown_str(k->text ? k->text : "", shown, sizeof(shown)));
		r = scalar(l, m->kids[i + 1], "basic_auth_users", &h);
		if (r)
			return r;
		if (!bcrypt_shaped(h))
			return failf(l, ydoc_node(&l->d, m->kids[i + 1]), -EINVAL,
				     "basic_auth_users.%s: not a bcrypt hash ($2y$10$ and 53 "
				     "characters); make one with htpasswd -nBC 10 %s",
				     ydoc_shown_str(k->text, shown, sizeof(shown)), k->text);
		u->name = strdup(k->text);
		u->hash = strdup(h);
		if (!u->name || !u->hash)
			return -ENOMEM;
		wc->nusers++;
	}
	if (wc->nusers && !crypt_has_bcrypt(wc->users[0].hash))
		return failf(l, m, -ENOTSUP,
			     "basic_auth_users: this system's crypt() does not compute bcrypt "
			     "(libxcrypt does; RHEL/CentOS 7's glibc does not): use TLS client "
			     "certificates (client_auth_type) instead");
	return 0;
}

static int load_tls(struct wload *l, size_t map, struct webcfg *wc)
{
	const struct ynode *m = ydoc_node(&l->d, map);
	const char *cert = NULL, *key = NULL, *ca = NULL;
	bool max_given = false;
	int r;

	if (m->kind != Y_MAP)
		return failf(l, m, -EINVAL, "tls_server_config: expected a mapping");
	r = ydoc_check_map(&l->d, map, "tls_server_config", l->err, l->errlen);
	if (r)
		return failf(l, m, r, "%s", l->err);
	wc->min_version = WEBCFG_TLS12;
	wc->max_version = WEBCFG_TLS13;
	for (size_t i = 0; i < m->nkids; i += 2) {
		const struct ynode *k = ydoc_node(&l->d, m->kids[i]);
		size_t v = m->kids[i + 1];

		if (!strcmp(k->text, "cert_file"))
			r = scalar(l, v, "tls_server_config.cert_file", &cert);
		else if (!strcmp(k->text, "key_file"))
			r = scalar(l, v, "tls_server_config.key_file", &key);
		else if (!strcmp(k->text, "client_ca_file"))
			r = scalar(l, v, "tls_server_config.client_ca_file", &ca);
		else if (!strcmp(k->text, "client_auth_type"))
			r = parse_client_auth(l, v, &wc->client_auth);
		else if (!strcmp(k->text, "min_version"))
			r = parse_version(l, v, "tls_server_config.min_version", &wc->min_version);
		else if (!strcmp(k->text, "max_version")) {
			r = parse_version(l, v, "tls_server_config.max_version", &wc->max_version);
			max_given = true;
		} else if (in_list(k->text, unsupported_tls))
			r = failf(l, k, -EINVAL,
				  "tls_server_config.%s is not supported by this endpoint (GnuTLS "
				  "through libmicrohttpd): remove it; the versions are set with "
				  "min_version and max_version",
				  k->text);
		else
			r = failf(l, k, -EINVAL,
				  "tls_server_config.%s: unknown setting; known: cert_file, "
				  "key_file, client_auth_type, client_ca_file, min_version, "
				  "max_version",
				  k->text);
		if (r)
			return r;
	}
	if (wc->min_version > wc->max_version)
		return failf(l, m, -EINVAL,
			     "tls_server_config: min_version %s is above max_version %s",
			     webcfg_tls_version_name(wc->min_version),
			     webcfg_tls_version_name(wc->max_version));
	if (!cert || !key)
		return failf(l, m, -EINVAL,
			     "tls_server_config: cert_file and key_file are both required");
	if (wc->client_auth != WEBCFG_NO_CLIENT_CERT && !ca)
		return failf(l, m, -EINVAL,
			     "tls_server_config: client_auth_type %s needs client_ca_file (the CA "
			     "that signs the clients' certificates)",
			     webcfg_client_auth_name(wc->client_auth));
	if (ca && wc->client_auth == WEBCFG_NO_CLIENT_CERT)
		return failf(l, m, -EINVAL,
			     "tls_server_config: client_ca_file is given but client_auth_type is "
			     "NoClientCert (no client certificate is asked for); set "
			     "client_auth_type: RequireAndVerifyClientCert, or remove "
			     "client_ca_file");
#if !EM_HAVE_GNUTLS
	(void)max_given;
	return failf(l, m, -ENOTSUP,
		     "tls_server_config: this ebpf-monitor was built without GnuTLS (TLS for "
		     "the endpoint); rebuild with its development files (libgnutls28-dev, "
		     "gnutls-devel)");
#else
	wc->tls = true;
	if (!(wc->cert_file = resolve(l->path, cert)) || !(wc->key_file = resolve(l->path, key)) ||
	    (ca && !(wc->ca_file = resolve(l->path, ca))))
		return -ENOMEM;
	r = read_file("tls_server_config.cert_file", wc->cert_file, false, &wc->cert_pem, NULL,
		      NULL, l->err, l->errlen);
	if (!r)
		r = read_file("tls_server_config.key_file", wc->key_file, true, &wc->key_pem, NULL,
			      NULL, l->err, l->errlen);
	if (!r && ca) {
		gnutls_x509_crt_t *crts = NULL;
		unsigned n = 0;

		r = read_file("tls_server_config.client_ca_file", wc->ca_file, false, &wc->ca_pem,
			      NULL, NULL, l->err, l->errlen);
		if (!r)
			r = import_crts("tls_server_config.client_ca_file", wc->ca_file, wc->ca_pem,
					&crts, &n, l->err, l->errlen);
		if (!r)
			free_crts(crts, n);
	}
	if (!r)
		r = check_cert_key(wc, l->err, l->errlen);
	if (!r)
		r = make_priorities(wc, max_given, l->err, l->errlen);
	if (r && r != -ENOMEM) {
		char msg[768];

		snprintf(msg, sizeof(msg), "%s", l->err);
		r = failf(l, NULL, r, "%s", msg);
	}
	return r;
#endif
}

int webcfg_load(const char *path, bool plain_http_auth, struct webcfg *wc, char *err, size_t errlen)
{
	struct wload l = { .path = path, .err = err, .errlen = errlen };
	char *text = NULL, sub[768];
	size_t len = 0, tls = NO_NODE, users = NO_NODE;
	struct stat st;
	const struct ynode *root;
	int r;

	memset(wc, 0, sizeof(*wc));
	err[0] = '\0';
	if (!(wc->path = strdup(path)))
		return -ENOMEM;
	r = read_file("output.prometheus.web_config_file", path, false, &text, &len, &st, err,
		      errlen);
	if (r)
		goto fail;
	r = ydoc_build(&l.d, text, len, sub, sizeof(sub));
	if (r) {
		snprintf(err, errlen, "%s:%d: %s", path, l.d.err_line, sub);
		goto fail;
	}
	if (!l.d.n) /* an empty file: neither TLS nor users, as with the toolkit */
		goto done;
	root = ydoc_node(&l.d, 0);
	if (root->kind != Y_MAP) {
		r = failf(&l, root, -EINVAL,
			  "expected a mapping with tls_server_config and/or basic_auth_users");
		goto fail;
	}
	r = ydoc_check_map(&l.d, 0, "", sub, sizeof(sub));
	if (r) {
		r = failf(&l, NULL, r, "%s", sub);
		goto fail;
	}
	for (size_t i = 0; i < root->nkids; i += 2) {
		const struct ynode *k = ydoc_node(&l.d, root->kids[i]);

		if (!strcmp(k->text, "tls_server_config"))
			tls = root->kids[i + 1];
		else if (!strcmp(k->text, "basic_auth_users"))
			users = root->kids[i + 1];
		else if (in_list(k->text, unsupported_top)) {
			r = failf(&l, k, -EINVAL,
				  "%s is not supported by this endpoint: remove it (TLS and basic "
				  "authentication are)",
				  k->text);
			goto fail;
		} else {
			r = failf(&l, k, -EINVAL,
				  "%s: unknown setting; known: tls_server_config, basic_auth_users",
				  k->text);
			goto fail;
		}
	}
	if (tls != NO_NODE && !ydoc_node(&l.d, tls)->null && (r = load_tls(&l, tls, wc)))
		goto fail;
	if (users != NO_NODE && !ydoc_node(&l.d, users)->null && (r = load_users(&l, users, wc)))
		goto fail;
	/* With users, the file holds the password hashes: as safe as the key file. */
	if (wc->nusers &&
	    (r = secret_check(&st, "output.prometheus.web_config_file", path, err, errlen)))
		goto fail;
	if (wc->nusers && !wc->tls && !plain_http_auth) {
		r = failf(&l, NULL, -EINVAL,
			  "basic_auth_users without tls_server_config would send the passwords "
			  "in clear text: add tls_server_config, or set "
			  "output.prometheus.basic_auth_over_http: true to accept that");
		goto fail;
	}
done:
	ydoc_free(&l.d);
	free(text);
	return 0;
fail:
	if (r == -ENOMEM && !err[0])
		snprintf(err, errlen, "%s: out of memory", path);
	ydoc_free(&l.d);
	free(text);
	webcfg_free(wc);
	return r;
}
