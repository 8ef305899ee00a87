/* webauth.h - HTTP basic authentication for the metrics endpoint against the bcrypt hashes of
 * the web configuration file (webcfg.h).
 *
 * bcrypt is slow on purpose (cost 10: tens of milliseconds), and the endpoint runs in the
 * monitor's one thread. So: a user's last accepted password is remembered (compared in constant
 * time, as every password is), and a scrape every few seconds costs no bcrypt after the first;
 * a password not remembered costs one bcrypt, at most WEBAUTH_RATE per second (a burst of
 * WEBAUTH_BURST): beyond that the answer is 429 without computing anything, so a flood of
 * guesses cannot stall the monitors, while the remembered password still gets in. An unknown
 * user costs a bcrypt too (against a known hash), so timing does not tell user names apart.
 * Failures are logged at most once per WEBAUTH_LOG_S seconds, counted, with the last user name
 * and address, never a password. */
#ifndef EM_WEBAUTH_H
#define EM_WEBAUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "output/webcfg.h"

#define WEBAUTH_RATE 5.0 /* bcrypt computations per second for passwords not remembered */
#define WEBAUTH_BURST 10.0
#define WEBAUTH_LOG_S 10.0

enum webauth_result {
	WEBAUTH_OK,	 /* a known user with the right password */
	WEBAUTH_MISSING, /* no Authorization header, or not "Basic" */
	WEBAUTH_DENIED,	 /* malformed, unknown user or wrong password */
	WEBAUTH_LIMITED, /* too many unknown passwords just now: try again in a second */
};

struct webauth;

/* The users of wc (copied). 0 or -ENOMEM. */
int webauth_create(const struct webcfg *wc, struct webauth **out);
void webauth_destroy(struct webauth *a); /* NULL-safe; wipes the remembered passwords */

/* Checks an Authorization header value (NULL: none) from peer (an address, for the log) at
 * time `now` (seconds, monotonic). */
enum webauth_result webauth_check(struct webauth *a, const char *authorization, const char *peer,
				  double now);

/* Failures and bcrypt computations since the start (for the log and the tests). */
unsigned long long webauth_failures(const struct webauth *a);
unsigned long long webauth_bcrypts(const struct webauth *a);

/* Decodes standard base64 (RFC 4648, padding optional) of n bytes into out (size bytes, NUL
 * added); the length, or -1 when the text is not base64 or does not fit. */
long webauth_base64_decode(const char *in, size_t n, char *out, size_t size);
/* Compares two byte strings in time that depends only on their lengths. */
bool webauth_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
