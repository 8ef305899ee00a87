/* prom_http.c - the /metrics endpoint: libmicrohttpd in "external epoll" mode. MHD keeps its
 * sockets in its own epoll set, whose fd the event loop watches; MHD_run() then does what is
 * ready without blocking, so a slow or stuck client never holds up the monitors. Rendering
 * happens in the loop's thread, so the sink needs no locks. */
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
#include <unistd.h>

#include <microhttpd.h>

#include "core/config.h"
#include "core/log.h"
#include "output/prom.h"
#include "output/strbuf.h"

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
#else /* before the renames (0.9.53-0.9.55); the epoll fd came in the listen_fd member */
#define EM_MHD_FLAGS (MHD_USE_EPOLL_LINUX_ONLY | MHD_USE_DEBUG)
#define EM_MHD_INFO_EPOLL MHD_DAEMON_INFO_EPOLL_FD_LINUX_ONLY
#define EM_MHD_EPOLL_FD(info) ((info)->listen_fd)
#endif
#ifndef MHD_INVALID_SOCKET
typedef int MHD_socket; /* 0.9.33 passes sockets as int */
#endif

#define PROM_HTTP_MAX_CONNECTIONS 32
#define PROM_HTTP_TIMEOUT_S 10

struct prom_http {
	struct MHD_Daemon *d;
	struct sink *prom;
	char *path;
	int epfd;
	unsigned long long scrapes;
};

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
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static em_mhd_result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	char *body = strdup(text);

	return body ? reply(c, status, body, strlen(body), "text/plain; charset=utf-8") : MHD_NO;
}

static em_mhd_result handle(void *cls, struct MHD_Connection *c, const char *url,
			    const char *method, const char *version, const char *upload_data,
			    size_t *upload_data_size, void **con_cls)
{
	struct prom_http *h = cls;
	struct strbuf b = { 0 };

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

int prom_http_start(const char *listen_addr, const char *path, struct sink *prom,
		    struct prom_http **ret, char *err, size_t errlen)
{
	struct prom_http *h = calloc(1, sizeof(*h));
	const union MHD_DaemonInfo *info;
	int fd, r;

	if (!h || !(h->path = strdup(path))) {
		snprintf(err, errlen, "output.prometheus: out of memory");
		free(h);
		return -ENOMEM;
	}
	h->prom = prom;
	fd = listen_socket(listen_addr, err, errlen);
	if (fd < 0) {
		r = fd;
		goto err_free;
	}
	/* No MHD_USE_INTERNAL_POLLING_THREAD: MHD runs only inside prom_http_run(). */
	errno = 0;
	h->d = MHD_start_daemon(EM_MHD_FLAGS, 0, NULL, NULL, handle, h, MHD_OPTION_LISTEN_SOCKET,
				(MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned)PROM_HTTP_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)PROM_HTTP_TIMEOUT_S, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
				NULL, MHD_OPTION_END);
	if (!h->d) {
		r = errno ? -errno : -EIO; /* MHD does not say; its errno where it left one */
		close(fd);
		snprintf(err, errlen,
			 "output.prometheus: libmicrohttpd could not start on %s (run with -v for "
			 "its reason)",
			 listen_addr);
		goto err_free;
	}
	info = MHD_get_daemon_info(h->d, EM_MHD_INFO_EPOLL);
	if (!info || EM_MHD_EPOLL_FD(info) < 0) {
		snprintf(err, errlen, "output.prometheus: libmicrohttpd has no epoll support here");
		MHD_stop_daemon(h->d);
		r = -EOPNOTSUPP;
		goto err_free;
	}
	h->epfd = EM_MHD_EPOLL_FD(info);
	log_info("Prometheus metrics at http://%s%s", listen_addr, path);
	*ret = h;
	return 0;

err_free:
	free(h->path);
	free(h);
	return r;
}

int prom_http_fd(const struct prom_http *h)
{
	return h ? h->epfd : -1;
}

int prom_http_timeout_ms(const struct prom_http *h)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (!h || MHD_get_timeout(h->d, &t) != MHD_YES)
		return -1;
	return t > 60000 ? 60000 : (int)t;
}

void prom_http_run(struct prom_http *h)
{
	if (h)
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
	MHD_stop_daemon(h->d);
	free(h->path);
	free(h);
}
