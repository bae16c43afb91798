/*
 * webparse.c - the request headers gwebd reads itself (webparse.h).
 *
 * A Range is one range of bytes=A-B, A- or -N within the file; a
 * list, a unit other than bytes, a sign or a space is refused (416 in
 * media.c); a last byte past the end is the end.  A cookie's write
 * needs an Origin equal to scheme://Host, the whole of both, however
 * long (no copy that could cut a long Host short).  An upload's Location is absolute under the
 * Host only when that is a plain name or address, else a path.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webparse.h"

/* "bytes=A-B", "bytes=A-", "bytes=-N" of a file of size bytes: 0 with
 * the first byte and the count, or -1. */
int
web_range(const char *h, long long size, long long *from, long long *len)
{
	long long a = -1, b = -1;
	const char *dash;
	char *end;

	if (strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL ||
	    (dash = strchr(h + 6, '-')) == NULL || size <= 0)
		return -1;
	if (dash > h + 6) {
		if (h[6] < '0' || h[6] > '9')
			return -1;
		a = strtoll(h + 6, &end, 10);
		if (end != dash)
			return -1;
	}
	if (dash[1] != '\0') {
		if (dash[1] < '0' || dash[1] > '9')
			return -1;
		b = strtoll(dash + 1, &end, 10);
		if (*end != '\0')
			return -1;
	}
	if (a < 0 && b < 0)
		return -1;
	if (a < 0) {			/* the last b bytes */
		if (b == 0)
			return -1;
		a = b > size ? 0 : size - b;
		b = size - 1;
	} else if (b < 0 || b >= size)
		b = size - 1;
	if (a >= size || b < a)
		return -1;
	*from = a;
	*len = b - a + 1;
	return 0;
}

/* Is origin the page's own, scheme://host?  Either missing is not. */
int
web_same_origin(const char *origin, const char *host, int tls)
{
	const char *scheme = tls ? "https://" : "http://";
	size_t k = strlen(scheme);

	if (origin == NULL || host == NULL)
		return 0;
	return strncmp(origin, scheme, k) == 0 && strcmp(origin + k, host) == 0;
}

/* A Host that may go into a Location: a name, an IPv4 or bracketed
 * IPv6 address, with a port, under 256 bytes. */
int
web_host_plain(const char *host)
{
	size_t n;

	if (host == NULL || host[0] == '\0' || (n = strlen(host)) >= 256)
		return 0;
	return strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == n;
}

/* The Location of path: absolute under a plain host, else path. */
void
web_location(char *url, size_t urlsz, const char *host, int tls,
    const char *path)
{
	if (web_host_plain(host))
		snprintf(url, urlsz, "%s://%s%s", tls ? "https" : "http",
		    host, path);
	else
		snprintf(url, urlsz, "%s", path);
}
