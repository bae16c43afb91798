/*
 * webparse.h - the parts of a request gwebd reads itself, beyond what
 * libmicrohttpd parses: a media Range header, and the Host and Origin
 * headers (a cookie's write and an upload's Location).  Pure: no I/O,
 * so that each is fuzzed on its own (tests/fuzz/fuzz_web*.c).
 */
#ifndef GWEBD_WEBPARSE_H
#define GWEBD_WEBPARSE_H

#include <stddef.h>

int	web_range(const char *h, long long size, long long *from,
	    long long *len);
int	web_same_origin(const char *origin, const char *host, int tls);
int	web_host_plain(const char *host);
void	web_location(char *url, size_t urlsz, const char *host, int tls,
	    const char *path);

#endif
