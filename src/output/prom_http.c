/* prom_http.c - the /metrics endpoint: libmicrohttpd in "external epoll" mode. MHD keeps its
 * sockets in its own epoll set, whose fd the event loop watches; MHD_run() then does what is
 * ready without blocking, so a slow or stuck client never holds up the monitors. Rendering
 * happens in the loop's thread, so the sink needs no locks.
 *
 * With a web configuration file (webcfg.h): TLS through MHD's GnuTLS support, client
 * certificates verified here against client_ca_file (MHD only asks for them), basic
 * authentication (webauth.h). A reload quiesces the running daemon, which hands back its
 * listening socket, and starts a new one on that socket with the new files: the port never
 * closes, and a failed start brings the old settings back on it. */
#define LOG_NAME "ebpf_monitor.prometheus"

#include "output/prom_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#if EM_HAVE_GNUTLS
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#endif

#include "common/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "output/prom.h"
#include "output/strbuf.h"
#include "output/webauth.h"
#include "output/webcfg.h"

/* libmicrohttpd from 0.9.33 (RHEL 7) to today: the names that changed on the way. */
#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result em_mhd_result;
#else
typedef int em_mhd_result; /* MHD_YES/MHD_NO were ints before 0.9.71 */
#endif
#if MHD_VERSION >= 0x00095500
#define EM_MHD_FLAGS (MHD_USE_EPOLL | MHD_USE_ERROR_LOG)
#define EM_MHD_INFO_EPOLL MHD_DAEMON_INFO_EPOLL_FD
#define EM_MHD_EPOLL_FD(info) ((info)->epoll_fd)
#define EM_MHD_TLS MHD_USE_TLS
#else /* before the renames (0.9.53-0.9.55); the epoll fd came in the listen_fd member */
#define EM_MHD_FLAGS (MHD_USE_EPOLL_LINUX_ONLY | MHD_USE_DEBUG)
#define EM_MHD_INFO_EPOLL MHD_DAEMON_INFO_EPOLL_FD_LINUX_ONLY
#define EM_MHD_EPOLL_FD(info) ((info)->listen_fd)
#define EM_MHD_TLS MHD_USE_SSL
#endif
#ifndef MHD_INVALID_SOCKET
typedef int MHD_socket; /* 0.9.33 passes sockets as int */
#define MHD_INVALID_SOCKET (-1)
#endif

#define PROM_HTTP_MAX_CONNECTIONS 32
#define PROM_HTTP_TIMEOUT_S 10

struct prom_http {
	struct MHD_Daemon *d;
	struct sink *prom;
	char *path, *listen;
	int epfd;
	unsigned long long scrapes, refused;
	struct webcfg wc;     /* zeroed: plain HTTP, nobody asked for anything */
	struct webauth *auth; /* NULL: no basic_auth_users */
	double last_refusal_log;
};

static double now_s(void)
{
	return (double)clock_ns(CLOCK_MONOTONIC) / 1e9;
}

/* The client's address, for the log. */
static const char *peer_of(struct MHD_Connection *c, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(buf, size, "?");
	if (sa && sa->sa_family == AF_INET)
		(void)inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf,
				(socklen_t)size);
	else if (sa && sa->sa_family == AF_INET6)
		(void)inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
				(socklen_t)size);
	return buf;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

static em_mhd_result reply(struct MHD_Connection *c, unsigned status, char *body, size_t len,
			   const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	em_mhd_result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (status == MHD_HTTP_UNAUTHORIZED)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					      "Basic realm=\"ebpf-monitor\", charset=\"UTF-8\"");
	if (status == 429)
		(void)MHD_add_response_header(r, "Retry-After", "1");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static em_mhd_result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	char *body = strdup(text);

	return body ? reply(c, status, body, strlen(body), "text/plain; charset=utf-8") : MHD_NO;
}

#if EM_HAVE_GNUTLS
/* The client's certificate against client_ca_file, for TLS client authentication: NULL when
 * it may pass, else why not. MHD asks for the certificate (it has the CA) but leaves the check
 * to the application. */
static const char *client_cert_refusal(struct prom_http *h, struct MHD_Connection *c, char *buf,
				       size_t size)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t s = ci ? (gnutls_session_t)ci->tls_session : NULL;
	gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID,
					  (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_CLIENT, 0 };
	gnutls_datum_t why = { NULL, 0 };
	unsigned n = 0, status = 0;

	if (h->wc.client_auth == WEBCFG_NO_CLIENT_CERT)
		return NULL;
	if (!s)
		return "no TLS session";
	if (!gnutls_certificate_get_peers(s, &n) || !n)
		return h->wc.client_auth == WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT ?
			       "no client certificate (client_auth_type RequireAndVerifyClientCert)" :
			       NULL;
	if (gnutls_certificate_verify_peers(s, &purpose, 1, &status) < 0)
		return "its client certificate could not be verified";
	if (!status)
		return NULL;
	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0) >= 0 &&
	    why.data) {
		snprintf(buf, size, "client certificate refused: %s", (const char *)why.data);
		gnutls_free(why.data);
		return buf;
	}
	return "client certificate refused";
}
#else
static const char *client_cert_refusal(struct prom_http *h, struct MHD_Connection *c, char *buf,
				       size_t size)
{
	return NULL;
}
#endif

/* A request refused before the metrics: logged at most once per 10 s with the count. */
static void log_refusal(struct prom_http *h, struct MHD_Connection *c, const char *why)
{
	char peer[64];
	double now = now_s();

	h->refused++;
	if (now - h->last_refusal_log < 10.0)
		return;
	h->last_refusal_log = now;
	log_warn("metrics endpoint: refused a request from %s: %s (%llu refused so far)",
		 peer_of(c, peer, sizeof(peer)), why, h->refused);
}

/* TLS client certificate and basic authentication; MHD_YES with a reply queued when the
 * request is refused, *done false when it may go on. */
static em_mhd_result admit(struct prom_http *h, struct MHD_Connection *c, bool *done)
{
	char buf[256], msg[300], peer[64];
	const char *why = client_cert_refusal(h, c, buf, sizeof(buf));

	*done = true;
	if (why) {
		log_refusal(h, c, why);
		snprintf(msg, sizeof(msg), "forbidden: %s\n", why);
		return reply_text(c, MHD_HTTP_FORBIDDEN, msg);
	}
	if (h->auth) {
		const char *hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							      MHD_HTTP_HEADER_AUTHORIZATION);

		switch (webauth_check(h->auth, hdr, peer_of(c, peer, sizeof(peer)), now_s())) {
		case WEBAUTH_OK:
			break;
		case WEBAUTH_MISSING:
			return reply_text(c, MHD_HTTP_UNAUTHORIZED,
					  "authentication required (HTTP basic)\n");
		case WEBAUTH_DENIED:
			return reply_text(c, MHD_HTTP_UNAUTHORIZED, "wrong user or password\n");
		case WEBAUTH_LIMITED:
			return reply_text(c, 429, "too many failed attempts; try again\n");
		}
	}
	*done = false;
	return MHD_YES;
}

static em_mhd_result handle(void *cls, struct MHD_Connection *c, const char *url,
			    const char *method, const char *version, const char *upload_data,
			    size_t *upload_data_size, void **con_cls)
{
	struct prom_http *h = cls;
	struct strbuf b = { 0 };
	em_mhd_result ar;
	bool done;

	ar = admit(h, c, &done);
	if (done)
		return ar;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (strcmp(url, h->path)) {
		char msg[300];

		snprintf(msg, sizeof(msg), "not found; the metrics are at %s\n", h->path);
		return reply_text(c, MHD_HTTP_NOT_FOUND, msg);
	}
	if (prom_sink_render(h->prom, &b)) {
		strbuf_free(&b);
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	h->scrapes++;
	if (!b.len && strbuf_putc(&b, '\n'))
		return MHD_NO;
	return reply(c, MHD_HTTP_OK, b.buf, b.len, "text/plain; version=0.0.4; charset=utf-8");
}

/* A listening socket, so that a failure can be named precisely (MHD only says "failed"): its
 * fd, or -errno with err set. */
static int listen_socket(const char *listen_addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[64], reason[256];
	unsigned port;
	int fd, one = 1, e;

	e = config_parse_listen(listen_addr, host, sizeof(host), &port, reason, sizeof(reason));
	if (e) {
		snprintf(err, errlen, "output.prometheus.listen: %s", reason);
		return e;
	}
	memset(&ss, 0, sizeof(ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		(void)inet_pton(AF_INET6, host, &a->sin6_addr);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		if (host[0])
			(void)inet_pton(AF_INET, host, &a->sin_addr);
		sl = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "output.prometheus.listen %s: socket: %s", listen_addr,
			 strerror(e));
		return -e;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
		e = errno;
		close(fd);
		if (e == EADDRINUSE)
			snprintf(
				err, errlen,
				"output.prometheus.listen %s: the port is already in use (another "
				"ebpf-monitor or exporter? `ss -ltnp 'sport = :%u'` shows which); stop "
				"it or set output.prometheus.listen to a free port",
				listen_addr, port);
		else if (e == EADDRNOTAVAIL)
			snprintf(err, errlen,
				 "output.prometheus.listen %s: no interface of this host has that "
				 "address; use 127.0.0.1, 0.0.0.0 (every interface) or one of the "
				 "host's addresses",
				 listen_addr);
		else if (e == EACCES)
			snprintf(err, errlen,
				 "output.prometheus.listen %s: permission denied (ports below 1024 "
				 "need CAP_NET_BIND_SERVICE); use a port from 1024 up, e.g. 9435",
				 listen_addr);
		else
			snprintf(err, errlen, "output.prometheus.listen %s: %s", listen_addr,
				 strerror(e));
		return -e;
	}
	return fd;
}

/* A daemon serving h with the TLS settings of wc (their memory must outlive it) on the
 * listening socket fd; NULL with errno where MHD left one. */
static struct MHD_Daemon *start_daemon(struct prom_http *h, const struct webcfg *wc, int fd)
{
	struct MHD_OptionItem tls[6];
	size_t n = 0;
	unsigned flags = EM_MHD_FLAGS;

	if (wc->tls) {
		flags |= EM_MHD_TLS;
		tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, wc->key_pem };
		tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, wc->cert_pem };
		tls[n++] =
			(struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, wc->priorities };
		if (wc->ca_pem)
			tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
							    wc->ca_pem };
	}
	tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/* No MHD_USE_INTERNAL_POLLING_THREAD: MHD runs only inside prom_http_run(). */
	errno = 0;
	return MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_LISTEN_SOCKET,
				(MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned)PROM_HTTP_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)PROM_HTTP_TIMEOUT_S, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
				NULL, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
}

/* The epoll fd of the daemon just started, or -EOPNOTSUPP with err set. */
static int daemon_epoll_fd(struct MHD_Daemon *d, char *err, size_t errlen)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, EM_MHD_INFO_EPOLL);

	if (!info || EM_MHD_EPOLL_FD(info) < 0) {
		snprintf(err, errlen, "output.prometheus: libmicrohttpd has no epoll support here");
		return -EOPNOTSUPP;
	}
	return EM_MHD_EPOLL_FD(info);
}

/* The basic-auth state for wc's users in *auth (NULL: none). 0 or -ENOMEM. */
static int new_auth(const struct webcfg *wc, struct webauth **auth)
{
	*auth = NULL;
	return wc && wc->nusers ? webauth_create(wc, auth) : 0;
}

/* h takes wc's settings (wc is left zeroed; their memory stays where the daemon points) and
 * auth, dropping its own. */
static void adopt(struct prom_http *h, struct webcfg *wc, struct webauth *auth)
{
	webauth_destroy(h->auth);
	h->auth = auth;
	webcfg_free(&h->wc);
	if (wc) {
		h->wc = *wc;
		memset(wc, 0, sizeof(*wc));
	}
}

static void log_serving(const struct prom_http *h, const char *what)
{
	char exp[40] = "";
	struct tm tm;

	if (h->wc.tls && gmtime_r(&h->wc.cert_expires, &tm))
		strftime(exp, sizeof(exp), "%Y-%m-%d", &tm);
	if (h->wc.tls)
		log_info("%s https://%s%s (%s..%s, client certificates: %s, certificate valid "
			 "until %s%s)",
			 what, h->listen, h->path, webcfg_tls_version_name(h->wc.min_version),
			 webcfg_tls_version_name(h->wc.max_version),
			 webcfg_client_auth_name(h->wc.client_auth), exp,
			 h->auth ? ", basic authentication" : "");
	else
		log_info("%s http://%s%s%s", what, h->listen, h->path,
			 h->auth ? " (basic authentication over plain HTTP)" : "");
}

int prom_http_start(const char *listen_addr, const char *path, struct sink *prom, struct webcfg *wc,
		    struct prom_http **ret, char *err, size_t errlen)
{
	struct prom_http *h = calloc(1, sizeof(*h));
	struct webauth *auth = NULL;
	int fd, r;

	if (!h || !(h->path = strdup(path)) || !(h->listen = strdup(listen_addr)) ||
	    new_auth(wc, &auth)) {
		snprintf(err, errlen, "output.prometheus: out of memory");
		r = -ENOMEM;
		goto err_free;
	}
	adopt(h, wc, auth);
	h->prom = prom;
	h->last_refusal_log = -1e9;
	fd = listen_socket(listen_addr, err, errlen);
	if (fd < 0) {
		r = fd;
		goto err_free;
	}
	h->d = start_daemon(h, &h->wc, fd);
	if (!h->d) {
		r = errno ? -errno : -EIO; /* MHD does not say; its errno where it left one */
		close(fd);
		snprintf(err, errlen,
			 "output.prometheus: libmicrohttpd could not start on %s%s (run with -v "
			 "for its reason)",
			 listen_addr,
			 h->wc.tls ? " with TLS (is this libmicrohttpd built with GnuTLS?)" : "");
		goto err_free;
	}
	r = daemon_epoll_fd(h->d, err, errlen);
	if (r < 0) {
		MHD_stop_daemon(h->d);
		goto err_free;
	}
	h->epfd = r;
	log_serving(h, "Prometheus metrics at");
	*ret = h;
	return 0;

err_free:
	if (h) {
		webauth_destroy(h->auth);
		webcfg_free(&h->wc);
		free(h->listen);
		free(h->path);
	}
	free(h);
	return r;
}

int prom_http_reload(struct prom_http *h, struct webcfg *wc, char *err, size_t errlen)
{
	struct webauth *auth;
	struct MHD_Daemon *d;
	MHD_socket fd;
	int r, epfd;

	if (!h->d) {
		webcfg_free(wc);
		snprintf(err, errlen,
			 "it lost its listening socket at an earlier reload; restart "
			 "ebpf-monitor");
		return -EIO;
	}
	if (webcfg_same(&h->wc, wc)) {
		webcfg_free(wc);
		return 1;
	}
	/* The new settings stay in wc until they run: the running ones stay if anything fails. */
	r = new_auth(wc, &auth);
	if (r) {
		snprintf(err, errlen, "out of memory");
		goto drop_new;
	}
	fd = MHD_quiesce_daemon(h->d);
	if (fd == MHD_INVALID_SOCKET) {
		snprintf(err, errlen, "libmicrohttpd could not hand over its listening socket");
		r = -EIO;
		goto drop_new;
	}
	/* The connections of the old daemon end with it: a scrape in flight is retried by
	 * Prometheus on its next interval (keep-alive connections reconnect at once). */
	MHD_stop_daemon(h->d);
	h->d = NULL;
	d = start_daemon(h, wc, (int)fd);
	if (d && (epfd = daemon_epoll_fd(d, err, errlen)) >= 0) {
		/* MHD passed h itself to the handler: the new settings are h's now */
		adopt(h, wc, auth);
		h->d = d;
		h->epfd = epfd;
		log_serving(h, "SIGHUP: Prometheus metrics now at");
		return 0;
	}
	if (d)
		MHD_stop_daemon(d); /* closes fd */
	else
		snprintf(err, errlen, "libmicrohttpd could not start with the new settings");
	r = -EIO;
	/* The old settings back on the same socket (fd is closed only if d took it). */
	h->d = d ? NULL : start_daemon(h, &h->wc, (int)fd);
	if (h->d && (epfd = daemon_epoll_fd(h->d, err, errlen)) >= 0)
		h->epfd = epfd;
	else
		log_error("metrics endpoint: could not restart on %s after a failed reload; "
			  "restart ebpf-monitor",
			  h->listen);
drop_new:
	webauth_destroy(auth);
	webcfg_free(wc);
	return r;
}

int prom_http_fd(const struct prom_http *h)
{
	return h && h->d ? h->epfd : -1;
}

int prom_http_timeout_ms(const struct prom_http *h)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (!h || !h->d || MHD_get_timeout(h->d, &t) != MHD_YES)
		return -1;
	return t > 60000 ? 60000 : (int)t;
}

void prom_http_run(struct prom_http *h)
{
	if (h && h->d)
		(void)MHD_run(h->d);
}

unsigned long long prom_http_scrapes(const struct prom_http *h)
{
	return h ? h->scrapes : 0;
}

void prom_http_stop(struct prom_http *h)
{
	if (!h)
		return;
	/* MHD closes the listening socket it was given. */
	if (h->d)
		MHD_stop_daemon(h->d);
	webauth_destroy(h->auth);
	webcfg_free(&h->wc);
	free(h->listen);
	free(h->path);
	free(h);
}
