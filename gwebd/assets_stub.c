/*
 * assets_stub.c - the page until its files are compiled in: one line
 * at "/", nothing else.
 */
#include "config.h"

#include <string.h>

#include "assets.h"

static const unsigned char index_html[] =
    "<!doctype html><title>gspool</title><p>gspool: the page is not"
    " built into this gwebd.</p>\n";

static const struct asset stub = {
	"/index.html", "text/html; charset=utf-8", index_html,
	sizeof(index_html) - 1, "\"stub-1\""
};

const struct asset *
asset_find(const char *urlpath)
{
	if (strcmp(urlpath, "/") == 0 || strcmp(urlpath, "/index.html") == 0)
		return &stub;
	return NULL;
}
