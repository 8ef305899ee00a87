/* listen.c - a listen address "HOST:PORT" (output.prometheus.listen). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "core/config.h"

int config_parse_listen(const char *s, char *host, size_t hostlen, unsigned *port, char *err,
			size_t errlen)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	char h[64], *end;
	unsigned char addr[16];
	size_t hl;
	long p;

	if (!colon) {
		snprintf(err, errlen, "expected HOST:PORT (e.g. 127.0.0.1:9435), got '%s'",
			 s ? s : "");
		return -EINVAL;
	}
	hl = (size_t)(colon - s);
	if (hl >= sizeof(h)) {
		snprintf(err, errlen, "host part of '%s' is too long", s);
		return -EINVAL;
	}
	memcpy(h, s, hl);
	h[hl] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p < 1 || p > 65535 || !isdigit((unsigned char)colon[1])) {
		snprintf(err, errlen, "port of '%s' must be a number in 1..65535", s);
		return -EINVAL;
	}
	if (!strcmp(h, "*"))
		h[0] = '\0';
	else if (!strcmp(h, "localhost"))
		snprintf(h, sizeof(h), "127.0.0.1");
	if (h[0] == '[') {
		if (hl < 3 || h[hl - 1] != ']') {
			snprintf(err, errlen, "IPv6 address in '%s' needs its closing ']'", s);
			return -EINVAL;
		}
		memmove(h, h + 1, hl - 2);
		h[hl - 2] = '\0';
		if (inet_pton(AF_INET6, h, addr) != 1) {
			snprintf(err, errlen, "'%s' is not an IPv6 address", h);
			return -EINVAL;
		}
	} else if (h[0] && inet_pton(AF_INET, h, addr) != 1) {
		snprintf(err, errlen,
			 "'%s' is not an IPv4 address (write an IPv6 address as [::1]:PORT; host "
			 "names other than localhost are not resolved)",
			 h);
		return -EINVAL;
	}
	if (host)
		snprintf(host, hostlen, "%s", h);
	*port = (unsigned)p;
	return 0;
}
