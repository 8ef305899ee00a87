/* prom_http.h - serves the Prometheus sink's exposition over HTTP with libmicrohttpd, driven by
 * the monitor's one-thread epoll loop (MHD's own epoll fd sits in ours; no thread of its own). */
#ifndef EM_PROM_HTTP_H
#define EM_PROM_HTTP_H

#include <stddef.h>

#include "output/sink.h"
#include "output/webcfg.h"

struct prom_http;

/* Binds `listen` ("HOST:PORT", see config_parse_listen()) and serves GET/HEAD `path` from the
 * sink, with TLS and basic authentication as the loaded web configuration wc says (NULL: plain
 * HTTP; its contents are moved into the server, wc is left zeroed); the server in *ret. 0, or
 * -errno (the socket's: -EADDRINUSE, -EADDRNOTAVAIL, -EACCES...; -EINVAL for a bad address,
 * -ENOMEM) with a one-line message in err (what failed and how to fix it). */
int prom_http_start(const char *listen, const char *path, struct sink *prom, struct webcfg *wc,
		    struct prom_http **ret, char *err, size_t errlen);
/* New TLS and authentication settings (moved from wc) on the same listening socket: the port
 * stays open; connections of the old settings are closed. 0, 1 when nothing changed (nothing
 * restarted), or on failure (-EIO, -ENOMEM, err set) the old settings stay. prom_http_fd() may
 * change: watch the new one. */
int prom_http_reload(struct prom_http *h, struct webcfg *wc, char *err, size_t errlen);
/* The descriptor to watch for EPOLLIN; on readiness, and when the timeout expires, call
 * prom_http_run(). */
int prom_http_fd(const struct prom_http *h);
/* Milliseconds until prom_http_run() is due regardless of readiness, or -1 (none). */
int prom_http_timeout_ms(const struct prom_http *h);
/* Accepts, reads, answers and closes whatever is ready without blocking. */
void prom_http_run(struct prom_http *h);
/* Scrapes answered since the start. */
unsigned long long prom_http_scrapes(const struct prom_http *h);
void prom_http_stop(struct prom_http *h); /* NULL-safe */

#endif
