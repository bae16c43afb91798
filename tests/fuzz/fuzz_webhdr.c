/*
 * fuzz_webhdr - libFuzzer target: arbitrary Host and Origin headers,
 * as gwebd reads them itself (gwebd/webparse.c): whether a cookie's
 * write comes from the page's own origin, and the Location of an
 * upload.
 *
 * The input's first byte says TLS or not; the rest is the Host, a NUL,
 * then the Origin (missing without a NUL, so a header may be absent).
 * Invariants, besides no crash:
 * - an origin is the page's own exactly when it is scheme://Host,
 *   the whole of both; without either it is not;
 * - the Location is scheme://Host followed by the job's path when the
 *   Host is plain (a name or address, under 256 bytes), else the path
 *   alone; it never carries a control byte, a space or a quote.
 * `make fuzz' builds and runs it; `make check' runs the seeds.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant: %s (line" \
	" %d)\n", #c, __LINE__); abort(); } } while (0)

#define PATH "/api/gspool/jobs/42"

/* Is o exactly scheme://host? */
static int
is_own(const char *o, const char *host, int tls)
{
	const char *scheme = tls ? "https://" : "http://";
	size_t k = strlen(scheme);

	return strncmp(o, scheme, k) == 0 && strcmp(o + k, host) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[16384];
	char url[512], want[512];
	const char *host, *origin, *nul;
	const unsigned char *p;
	size_t n;
	int tls;

	if (size == 0)
		return 0;
	tls = data[0] & 1;
	n = size - 1 < sizeof(buf) - 2 ? size - 1 : sizeof(buf) - 2;
	memcpy(buf, data + 1, n);
	buf[n] = buf[n + 1] = '\0';
	host = buf;
	nul = memchr(buf, '\0', n);
	origin = nul != NULL ? nul + 1 : NULL;

	CHECK(web_same_origin(origin, host, tls) ==
	    (origin != NULL && is_own(origin, host, tls)));
	CHECK(!web_same_origin(NULL, host, tls));
	CHECK(!web_same_origin(host, NULL, tls));
	if (origin != NULL)
		CHECK(!web_same_origin(origin, origin, tls) ||
		    is_own(origin, origin, tls));

	web_location(url, sizeof(url), host, tls, PATH);
	if (web_host_plain(host)) {
		CHECK(host[0] != '\0' && strlen(host) < 256);
		snprintf(want, sizeof(want), "%s://%s" PATH,
		    tls ? "https" : "http", host);
		CHECK(strcmp(url, want) == 0);
	} else
		CHECK(strcmp(url, PATH) == 0);
	for (p = (const unsigned char *)url; *p; p++)
		CHECK(*p > 0x20 && *p < 0x7f && *p != '"' && *p != '\'' &&
		    *p != '<' && *p != '>' && *p != '\\');
	CHECK(!web_host_plain(NULL));
	return 0;
}
