/* webauth.c - basic authentication against bcrypt hashes: see webauth.h. */
#define LOG_NAME "ebpf_monitor.prometheus"

#include "output/webauth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <crypt.h>

#include "core/log.h"
#include "core/ydoc.h"

#define WEBAUTH_MAX_CRED 512 /* decoded user:password */

struct webauth_user {
	char *name;
	char *hash;
	char *good; /* the last password accepted, or NULL */
	size_t goodlen;
};

struct webauth {
	struct webauth_user *users;
	size_t nusers;
	struct crypt_data *cd; /* ~32 KB with libxcrypt: once, not on the stack */
	double tokens, refilled;
	unsigned long long failures, bcrypts;
	/* failures not logged yet, the first one's time, the last one's user and peer */
	unsigned long long unlogged;
	double last_log;
	char last_user[SHOWN_SIZE], last_peer[SHOWN_SIZE], last_why[40];
};

static void wipe(char *p, size_t n)
{
	if (p) {
		volatile char *v = p;

		while (n--)
			*v++ = 0;
	}
}

int webauth_create(const struct webcfg *wc, struct webauth **out)
{
	struct webauth *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->users = calloc(wc->nusers ? wc->nusers : 1, sizeof(*a->users));
	a->cd = calloc(1, sizeof(*a->cd));
	if (!a->users || !a->cd)
		goto oom;
	for (size_t i = 0; i < wc->nusers; i++) {
		a->users[i].name = strdup(wc->users[i].name);
		a->users[i].hash = strdup(wc->users[i].hash);
		a->nusers++;
		if (!a->users[i].name || !a->users[i].hash)
			goto oom;
	}
	a->tokens = WEBAUTH_BURST;
	a->refilled = -1;
	a->last_log = -1e9;
	*out = a;
	return 0;
oom:
	webauth_destroy(a);
	return -ENOMEM;
}

void webauth_destroy(struct webauth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nusers; i++) {
		wipe(a->users[i].good, a->users[i].goodlen);
		free(a->users[i].good);
		free(a->users[i].name);
		free(a->users[i].hash);
	}
	free(a->users);
	if (a->cd)
		wipe((char *)a->cd, sizeof(*a->cd));
	free(a->cd);
	free(a);
}

unsigned long long webauth_failures(const struct webauth *a)
{
	return a ? a->failures : 0;
}

unsigned long long webauth_bcrypts(const struct webauth *a)
{
	return a ? a->bcrypts : 0;
}

bool webauth_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen > blen ? alen : blen;
	unsigned diff = alen != blen;

	for (size_t i = 0; i < n; i++) {
		unsigned char x = i < alen ? (unsigned char)a[i] : 0;
		unsigned char y = i < blen ? (unsigned char)b[i] : 0;

		diff |= (unsigned)(x ^ y);
	}
	return diff == 0;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long webauth_base64_decode(const char *in, size_t n, char *out, size_t size)
{
	unsigned long acc = 0;
	size_t len = 0, pad = 0;
	int bits = 0;

	while (n && in[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (pad && (n + pad) % 4)
		return -1;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len + 1 >= size)
				return -1;
			out[len++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (bits && (acc & ((1UL << bits) - 1))) /* non-zero leftover bits: not canonical */
		return -1;
	if (!size)
		return -1;
	out[len] = '\0';
	return (long)len;
}

static void failed(struct webauth *a, const char *user, size_t ulen, const char *peer,
		   const char *why, double now)
{
	a->failures++;
	a->unlogged++;
	/* as a config value in a message: control characters escaped, cut */
	ydoc_shown(user, ulen, a->last_user, sizeof(a->last_user));
	ydoc_shown_str(peer ? peer : "?", a->last_peer, sizeof(a->last_peer));
	snprintf(a->last_why, sizeof(a->last_why), "%s", why);
	if (now - a->last_log < WEBAUTH_LOG_S)
		return;
	log_warn("metrics endpoint: %llu failed basic authentication attempt(s) in the last "
		 "%.0f s, the last from %s as user '%s' (%s)",
		 a->unlogged, WEBAUTH_LOG_S, a->last_peer, a->last_user, a->last_why);
	a->unlogged = 0;
	a->last_log = now;
}

/* One bcrypt under the rate limit: true when allowed (and counted). */
static bool take_token(struct webauth *a, double now)
{
	if (a->refilled >= 0) {
		a->tokens += (now - a->refilled) * WEBAUTH_RATE;
		if (a->tokens > WEBAUTH_BURST)
			a->tokens = WEBAUTH_BURST;
	}
	a->refilled = now;
	if (a->tokens < 1)
		return false;
	a->tokens -= 1;
	a->bcrypts++;
	return true;
}

enum webauth_result webauth_check(struct webauth *a, const char *authorization, const char *peer,
				  double now)
{
	char cred[WEBAUTH_MAX_CRED];
	const char *p = authorization, *colon, *pass, *out;
	struct webauth_user *u = NULL;
	size_t ulen, plen, n;
	long len;
	bool ok;

	if (!p || strncasecmp(p, "Basic", 5) || (p[5] != ' ' && p[5] != '\t'))
		return WEBAUTH_MISSING;
	p += 5;
	while (*p == ' ' || *p == '\t')
		p++;
	n = strcspn(p, " \t");
	len = webauth_base64_decode(p, n, cred, sizeof(cred));
	if (len < 0 || !(colon = memchr(cred, ':', (size_t)len))) {
		failed(a, "", 0, peer, "malformed credentials", now);
		return WEBAUTH_DENIED;
	}
	ulen = (size_t)(colon - cred);
	pass = colon + 1;
	plen = (size_t)len - ulen - 1;
	for (size_t i = 0; i < a->nusers; i++)
		if (webauth_equal(a->users[i].name, strlen(a->users[i].name), cred, ulen))
			u = &a->users[i];
	if (u && u->good && webauth_equal(u->good, u->goodlen, pass, plen)) {
		wipe(cred, sizeof(cred));
		return WEBAUTH_OK;
	}
	if (!take_token(a, now)) {
		failed(a, cred, ulen, peer, "rate limited", now);
		wipe(cred, sizeof(cred));
		return WEBAUTH_LIMITED;
	}
	/* An unknown user still costs one bcrypt (against the first user's hash). */
	out = crypt_r(pass, u ? u->hash : a->users[0].hash, a->cd);
	ok = u && out && webauth_equal(out, strlen(out), u->hash, strlen(u->hash)) &&
	     !memchr(pass, '\0', plen);
	if (ok) {
		char *copy = malloc(plen + 1);

		if (copy) {
			memcpy(copy, pass, plen);
			copy[plen] = '\0';
			wipe(u->good, u->goodlen);
			free(u->good);
			u->good = copy;
			u->goodlen = plen;
		}
	} else {
		failed(a, cred, ulen, peer, u ? "wrong password" : "unknown user", now);
	}
	wipe(cred, sizeof(cred));
	return ok ? WEBAUTH_OK : WEBAUTH_DENIED;
}
