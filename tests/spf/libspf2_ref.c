/*
 * tests/spf/libspf2_ref.c -- test-only driver: runs one SPF check through
 * libspf2 (Debian libspf2-dev) for the side-by-side column of
 * tests/spf/run.sh. Built by run.sh itself (gcc ... -lspf2), never by
 * the main Makefile; nothing in signet links libspf2.
 *
 *   libspf2_ref ZONEFILE IP HELO MAILFROM
 *
 * ZONEFILE (written by tests/spf/suite.py) has one line per record,
 * "HEXNAME TYPE HEX": the owner name in hex; TYPE is A, AAAA, MX
 * ("pref host"), PTR or TXT with HEX the record data in hex; NODATA-<TYPE> marks a name that exists
 * without that type; TIMEOUT makes every other lookup of NAME a
 * temporary failure. libspf2's in-memory zone answers everything else
 * NXDOMAIN, so no sockets are used.
 *
 * Prints the result on line 1 (pass, fail, ..., temperror, permerror)
 * and libspf2's explanation (or "") on line 2. libspf2 ends a check it
 * could not finish with SPF_RESULT_INVALID: a DNS error is reported as
 * temperror, anything else as permerror. Exit 0 when a verdict was
 * printed, 2 on bad usage or zone file; a crash is a signal.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spf2/spf.h>
#include <spf2/spf_dns_zone.h>

#define REF_MAX_LINE 70000

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex in place; a NUL byte ends the C string libspf2 sees. */
static int unhex(char *s)
{
	size_t n = 0;

	for (size_t i = 0; s[i] != '\0' && s[i + 1] != '\0'; i += 2) {
		int h = hexval(s[i]), l = hexval(s[i + 1]);

		if (h < 0 || l < 0)
			return -1;
		s[n++] = (char)(h << 4 | l);
	}
	s[n] = '\0';
	return 0;
}

static int type_of(const char *t, ns_type *out)
{
	static const struct { const char *name; ns_type type; } types[] = {
		{ "A", ns_t_a }, { "AAAA", ns_t_aaaa }, { "MX", ns_t_mx },
		{ "PTR", ns_t_ptr }, { "TXT", ns_t_txt },
	};

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(t, types[i].name) == 0) {
			*out = types[i].type;
			return 0;
		}
	return -1;
}

static int load_zone(SPF_dns_server_t *dns, const char *path)
{
	static char line[REF_MAX_LINE];
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
		char *name = strtok(line, " \n"), *type = strtok(NULL, " \n");
		char *data = strtok(NULL, " \n");
		ns_type t;

		if (name == NULL || type == NULL)
			continue;
		if (unhex(name) != 0) {
			fprintf(stderr, "libspf2_ref: zone: bad name\n");
			rc = -1;
			break;
		}
		if (strcmp(type, "TIMEOUT") == 0) {
			SPF_dns_zone_add_str(dns, name, ns_t_any, TRY_AGAIN, NULL);
		} else if (strncmp(type, "NODATA-", 7) == 0 && type_of(type + 7, &t) == 0) {
			SPF_dns_zone_add_str(dns, name, t, NO_DATA, NULL);
		} else if (type_of(type, &t) == 0) {
			if (data == NULL)
				data = type + strlen(type);	/* "" */
			if (unhex(data) != 0 ||
			    SPF_dns_zone_add_str(dns, name, t, NETDB_SUCCESS, data) != SPF_E_SUCCESS)
				fprintf(stderr, "libspf2_ref: zone: %s %s not accepted\n", name, type);
		} else {
			fprintf(stderr, "libspf2_ref: zone: unknown type %s\n", type);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

static const char *result_name(SPF_result_t r, SPF_errcode_t err)
{
	switch (r) {
	case SPF_RESULT_NEUTRAL:	return "neutral";
	case SPF_RESULT_PASS:		return "pass";
	case SPF_RESULT_FAIL:		return "fail";
	case SPF_RESULT_SOFTFAIL:	return "softfail";
	case SPF_RESULT_NONE:		return "none";
	case SPF_RESULT_TEMPERROR:	return "temperror";
	case SPF_RESULT_PERMERROR:	return "permerror";
	default:
		return err == SPF_E_DNS_ERROR ? "temperror" : "permerror";
	}
}

int main(int argc, char **argv)
{
	SPF_dns_server_t *dns;
	SPF_server_t *srv;
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	SPF_errcode_t err;
	const char *exp;
	struct in6_addr a6;

	if (argc != 5) {
		fprintf(stderr, "usage: libspf2_ref ZONEFILE IP HELO MAILFROM\n");
		return 2;
	}
	if ((dns = SPF_dns_zone_new(NULL, "zone", 0)) == NULL || load_zone(dns, argv[1]) != 0)
		return 2;
	if ((srv = SPF_server_new_dns(dns, 0)) == NULL)
		return 2;
	SPF_server_set_explanation(srv, "DEFAULT", &resp);
	SPF_response_free(resp);
	resp = NULL;
	if ((req = SPF_request_new(srv)) == NULL)
		return 2;
	if (inet_pton(AF_INET6, argv[2], &a6) == 1)
		err = SPF_request_set_ipv6_str(req, argv[2]);
	else
		err = SPF_request_set_ipv4_str(req, argv[2]);
	if (err != SPF_E_SUCCESS) {
		fprintf(stderr, "libspf2_ref: bad address %s\n", argv[2]);
		return 2;
	}
	SPF_request_set_helo_dom(req, argv[3]);
	if (argv[4][0] != '\0')
		SPF_request_set_env_from(req, argv[4]);
	err = SPF_request_query_mailfrom(req, &resp);
	exp = resp != NULL ? SPF_response_get_explanation(resp) : NULL;
	printf("%s\n%s\n", result_name(resp != NULL ? SPF_response_result(resp)
						   : SPF_RESULT_INVALID, err),
	       exp != NULL ? exp : "");
	SPF_response_free(resp);
	SPF_request_free(req);
	SPF_server_free(srv);
	return 0;
}
