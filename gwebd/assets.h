/*
 * assets.h - the page's files, compiled in (gwebd/page/): no path from
 * a URL ever reaches the filesystem.
 */
#ifndef GSPOOL_ASSETS_H
#define GSPOOL_ASSETS_H

#include <stddef.h>

struct asset {
	const char		*path;
	const char		*type;
	const unsigned char	*data;
	size_t			 len;
	const char		*etag;
};

/*
 * The Content-Security-Policy sent with every asset: the page loads
 * only gwebd's own files and answers, runs no inline script or style,
 * and is framed by no one (tests/web/page.py checks that the browser
 * reports no violation of it).
 */
#define ASSET_CSP	"default-src 'self'; base-uri 'none';" \
	" form-action 'self'; frame-ancestors 'none'"

/* "/" is index.html; NULL if there is no such asset. */
const struct asset *asset_find(const char *urlpath);

#endif
