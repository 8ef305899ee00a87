/* test_webauth.c - the metrics endpoint's basic authentication and web configuration file:
 * base64 as RFC 4648 has it, constant-time comparison, a bcrypt hash checked through crypt_r(),
 * the remembered password that costs no bcrypt, the bcrypt rate limit that answers 429 while the
 * remembered password still gets in; the file's users, its refusals (plain HTTP, unknown keys,
 * not bcrypt, a mode others can read) each with the setting named. TLS files are tested with
 * real certificates in tests/integration/test_prom_tls.py. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/webauth.h"
#include "output/webcfg.h"
#include "testutil.h"

/* bcrypt of "s3cret" at cost 4 (fast), as exporter-toolkit's users would be stored. */
#define HASH "$2b$04$O7u/G8B7mGHDl6n8kgFLm.4KOR3VGFb.p9lA82J04Y0W0kJVnT2OO"
/* "Basic " + base64 of "prom:s3cret", "prom:wrong", "nobody:s3cret" */
#define GOOD "Basic cHJvbTpzM2NyZXQ="
#define WRONG "Basic cHJvbTp3cm9uZw=="
#define NOBODY "Basic bm9ib2R5OnMzY3JldA=="

START_TEST(base64_rfc4648)
{
	char out[64];

	ck_assert_int_eq(webauth_base64_decode("cHJvbTpzM2NyZXQ=", 16, out, sizeof(out)), 11);
	ck_assert_str_eq(out, "prom:s3cret");
	/* RFC 4648 section 10's vectors, padded and not */
	ck_assert_int_eq(webauth_base64_decode("Zm9vYmE=", 8, out, sizeof(out)), 5);
	ck_assert_str_eq(out, "fooba");
	ck_assert_int_eq(webauth_base64_decode("Zm9vYmE", 7, out, sizeof(out)), 5);
	ck_assert_int_eq(webauth_base64_decode("Zg==", 4, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "f");
	ck_assert_int_eq(webauth_base64_decode("", 0, out, sizeof(out)), 0);
	/* not base64: a character outside the alphabet, one lone character, bits left over */
	ck_assert_int_eq(webauth_base64_decode("Zm9v*mE=", 8, out, sizeof(out)), -1);
	ck_assert_int_eq(webauth_base64_decode("Zm9vY", 5, out, sizeof(out)), -1);
	ck_assert_int_eq(webauth_base64_decode("Zh==", 4, out, sizeof(out)), -1);
	ck_assert_int_eq(webauth_base64_decode("Zg=", 3, out, sizeof(out)), -1);
	/* does not fit (the NUL counts) */
	ck_assert_int_eq(webauth_base64_decode("Zm9vYmFy", 8, out, 6), -1);
	ck_assert_int_eq(webauth_base64_decode("Zm9vYmFy", 8, out, 7), 6);
}
END_TEST

START_TEST(equal_by_content_and_length)
{
	ck_assert(webauth_equal("abc", 3, "abc", 3));
	ck_assert(!webauth_equal("abc", 3, "abd", 3));
	ck_assert(!webauth_equal("abc", 3, "abcd", 4));
	ck_assert(!webauth_equal("abc\0x", 5, "abc", 3));
	ck_assert(webauth_equal("", 0, "", 0));
}
END_TEST

static struct webauth *one_user(void)
{
	struct webcfg_user u = { "prom", HASH };
	struct webcfg wc = { .users = &u, .nusers = 1 };
	struct webauth *a = NULL;

	ck_assert_int_eq(webauth_create(&wc, &a), 0);
	return a;
}

START_TEST(check_against_bcrypt)
{
	struct webauth *a = one_user();

	ck_assert_int_eq(webauth_check(a, NULL, "10.0.0.1", 100), WEBAUTH_MISSING);
	ck_assert_int_eq(webauth_check(a, "Bearer abc", "10.0.0.1", 100), WEBAUTH_MISSING);
	ck_assert_int_eq(webauth_check(a, "Basicx", "10.0.0.1", 100), WEBAUTH_MISSING);
	ck_assert_uint_eq(webauth_bcrypts(a), 0);
	ck_assert_int_eq(webauth_check(a, "Basic !!!", "10.0.0.1", 100), WEBAUTH_DENIED);
	ck_assert_int_eq(webauth_check(a, "Basic bm9jb2xvbg==", "10.0.0.1", 100), WEBAUTH_DENIED);
	ck_assert_uint_eq(webauth_bcrypts(a), 0); /* malformed: nothing to compute */
	ck_assert_int_eq(webauth_check(a, WRONG, "10.0.0.1", 100), WEBAUTH_DENIED);
	ck_assert_int_eq(webauth_check(a, NOBODY, "10.0.0.1", 100), WEBAUTH_DENIED);
	ck_assert_uint_eq(webauth_bcrypts(a), 2); /* an unknown user costs one too */
	ck_assert_int_eq(webauth_check(a, GOOD, "10.0.0.1", 100), WEBAUTH_OK);
	ck_assert_int_eq(webauth_check(a, "basic   cHJvbTpzM2NyZXQ=", "10.0.0.1", 100),
			 WEBAUTH_OK);		  /* the scheme is case-insensitive */
	ck_assert_uint_eq(webauth_bcrypts(a), 3); /* the second was remembered */
	ck_assert_uint_eq(webauth_failures(a), 4);
	webauth_destroy(a);
}
END_TEST

START_TEST(rate_limit_spares_the_remembered_password)
{
	struct webauth *a = one_user();
	int i;

	ck_assert_int_eq(webauth_check(a, GOOD, "10.0.0.1", 50), WEBAUTH_OK);
	for (i = 1; i < (int)WEBAUTH_BURST; i++)
		ck_assert_int_eq(webauth_check(a, WRONG, "10.0.0.2", 50), WEBAUTH_DENIED);
	ck_assert_uint_eq(webauth_bcrypts(a), (unsigned long long)WEBAUTH_BURST);
	/* the burst is spent: no bcrypt, 429; the remembered password still gets in */
	ck_assert_int_eq(webauth_check(a, WRONG, "10.0.0.2", 50), WEBAUTH_LIMITED);
	ck_assert_int_eq(webauth_check(a, GOOD, "10.0.0.1", 50), WEBAUTH_OK);
	ck_assert_uint_eq(webauth_bcrypts(a), (unsigned long long)WEBAUTH_BURST);
	/* a second later WEBAUTH_RATE more */
	for (i = 0; i < (int)WEBAUTH_RATE; i++)
		ck_assert_int_eq(webauth_check(a, WRONG, "10.0.0.2", 51), WEBAUTH_DENIED);
	ck_assert_int_eq(webauth_check(a, WRONG, "10.0.0.2", 51), WEBAUTH_LIMITED);
	webauth_destroy(a);
}
END_TEST

static char dir[64];

static const char *write_web(const char *text, mode_t mode)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/web.yml", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/em-webcfg-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/web.yml", dir);
	unlink(path);
	rmdir(dir);
}

START_TEST(file_users_and_refusals)
{
	struct webcfg wc;
	char err[1024];
	const char *p;

	p = write_web("basic_auth_users:\n  prom: " HASH "\n  alice: " HASH "\n", 0600);
	/* users without TLS: refused unless plain HTTP was allowed */
	ck_assert_int_eq(webcfg_load(p, false, &wc, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "would send the passwords in clear text"));
	ck_assert_ptr_nonnull(strstr(err, "basic_auth_over_http: true"));
	ck_assert_int_eq(webcfg_load(p, true, &wc, err, sizeof(err)), 0);
	ck_assert_uint_eq(wc.nusers, 2);
	ck_assert(!wc.tls);
	ck_assert_str_eq(wc.users[1].name, "alice");
	webcfg_free(&wc);

	/* an empty file: nothing asked for, as with the toolkit */
	p = write_web("", 0600);
	ck_assert_int_eq(webcfg_load(p, false, &wc, err, sizeof(err)), 0);
	ck_assert(!wc.tls && !wc.nusers);
	webcfg_free(&wc);

	p = write_web("basic_auth_users:\n  prom: hunter2\n", 0600);
	ck_assert_int_eq(webcfg_load(p, true, &wc, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "web.yml:2: basic_auth_users.prom: not a bcrypt hash"));

	p = write_web(
		"tls_server_config:\n  cert_file: a\n  key_file: b\nrate_limit:\n  burst: 1\n",
		0600);
	ck_assert_int_eq(webcfg_load(p, false, &wc, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "web.yml:4: rate_limit is not supported"));

	p = write_web("tls_server_config:\n  cert_file: a\n  cipher_suites: [x]\n", 0600);
	ck_assert_int_eq(webcfg_load(p, false, &wc, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "tls_server_config.cipher_suites is not supported"));

	p = write_web("tls_server_config:\n  min_version: TLS14\n", 0600);
	ck_assert_int_eq(webcfg_load(p, false, &wc, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "'TLS14' is not a TLS version"));

	p = write_web("tls_server_config:\n  key_file: b\n", 0600);
	ck_assert_int_eq(webcfg_load(p, false, &wc, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "cert_file and key_file are both required"));

	p = write_web("users:\n  prom: x\n", 0600);
	ck_assert_int_eq(webcfg_load(p, false, &wc, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "web.yml:1: users: unknown setting"));

	/* the hashes are secrets: a file every user can read is refused as unsafe */
	p = write_web("basic_auth_users:\n  prom: " HASH "\n", 0644);
	ck_assert_int_eq(webcfg_load(p, true, &wc, err, sizeof(err)), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "has mode 0644"));
	ck_assert_ptr_nonnull(strstr(err, "chmod 600"));

	/* without users there is no secret in it: any mode */
	p = write_web("", 0644);
	ck_assert_int_eq(webcfg_load(p, false, &wc, err, sizeof(err)), 0);
	webcfg_free(&wc);
	/* in a directory every user can write to, another user could swap it */
	p = write_web("basic_auth_users:\n  prom: " HASH "\n", 0600);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(webcfg_load(p, true, &wc, err, sizeof(err)), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "is writable by every user"));
	ck_assert_int_eq(chmod(dir, 0700), 0);
	ck_assert_int_eq(webcfg_load(p, true, &wc, err, sizeof(err)), 0);
	webcfg_free(&wc);

	ck_assert_int_eq(webcfg_load("/nonexistent/web.yml", false, &wc, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/web.yml: No such file or directory"));
}
END_TEST

START_TEST(same_settings)
{
	struct webcfg_user u1 = { "prom", HASH }, u2 = { "prom", "$2b$04$x" };
	struct webcfg a = { .users = &u1, .nusers = 1 }, b = a;

	ck_assert(webcfg_same(&a, &b));
	b.users = &u2;
	ck_assert(!webcfg_same(&a, &b));
	b = a;
	b.cert_pem = "-----BEGIN CERTIFICATE-----";
	ck_assert(!webcfg_same(&a, &b));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("webauth");
	TCase *tc = tcase_create("core");
	TCase *tf = tcase_create("file");

	tcase_add_test(tc, base64_rfc4648);
	tcase_add_test(tc, equal_by_content_and_length);
	tcase_add_test(tc, check_against_bcrypt);
	tcase_add_test(tc, rate_limit_spares_the_remembered_password);
	tcase_add_test(tc, same_settings);
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, file_users_and_refusals);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tf);
	return test_run_suite(s);
}
