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

/* "/" is index.html; NULL if there is no such asset. */
const struct asset *asset_find(const char *urlpath);

#endif
