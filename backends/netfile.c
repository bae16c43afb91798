/*
 * netfile.c - a network backend's view of a job's file: its SHA-256 and
 * CRC32 (the checksums hosts verify an upload by: Moonraker's SHA-256,
 * RepRapFirmware's CRC32) and the commands before each 4 KiB block, so
 * that the host's file position becomes the job's lines done as spoold
 * counts them (a line with something before its comment ';' is a
 * command), and where each layer begins by the slicer's markers
 * (lib/gcode.c's lexer, as the serial backend reads them), so that a
 * host that says no layer of its own still gives the job's layer.  All
 * of it in one pass over the file; a layer costs 8 bytes.
 *
 * Security and Diagnostics: the file is the user's, already checked by
 * spoold; it is read in blocks with pread(2), never whole, and nothing
 * in it is interpreted but newlines and ';'.  A position the host gives
 * is clamped to the file.  A read error says at which byte, and why.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "gcode.h"
#include "util.h"
#include "net.h"

#define BLOCK		NET_BLOCK

static void
count(struct net_count *c, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			c->commands += c->cmd;
			c->cmd = c->comment = 0;
		} else if (p[i] == ';')
			c->comment = 1;
		else if (!c->comment && p[i] != ' ' && p[i] != '\t' &&
		    p[i] != '\r')
			c->cmd = 1;
	}
}

/* Where each layer's first command ends: the host has passed it when
 * its position is there. */
static void
layers_note(struct net_file *f, size_t *cap, const struct gcode_lexer *lx,
    unsigned long *seen)
{
	if (lx->layer == *seen)
		return;
	*seen = lx->layer;
	if (f->nlayers == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		f->layers = xrealloc(f->layers, *cap * sizeof(*f->layers));
	}
	f->layers[f->nlayers++] = (long long)lx->bytes;
}

/* The block's commands, through the lexer for their layers; a line it
 * cannot take (spoold checked the file: none) is passed over. */
static void
layers_scan(struct net_file *f, size_t *cap, struct gcode_lexer *lx,
    unsigned long *seen, const unsigned char *p, size_t n)
{
	enum gcode_status st;
	size_t at = 0;

	while (at < n) {
		at += gcode_lex(lx, (const char *)p + at, n - at, &st);
		if (st == GCODE_ERROR)
			gcode_lex_resume(lx);
		else if (st == GCODE_CMD)
			layers_note(f, cap, lx, seen);
	}
}

int
net_file_scan(struct net_file *f, char *why, size_t whysz)
{
	unsigned char buf[BLOCK], md[EVP_MAX_MD_SIZE];
	struct net_count c = { 0, 0, 0 };
	unsigned int mdlen, i;
	EVP_MD_CTX *ctx;
	size_t cap = 0;
	ssize_t n;
	off_t off = 0;
	uLong crc = crc32(0L, Z_NULL, 0);
	struct gcode_lexer lx;
	unsigned long seen = 0;
	size_t lcap = 0;

	f->size = 0;
	f->crc32 = 0;
	f->nblocks = 0;
	f->blocks = NULL;
	f->nlayers = 0;
	f->layers = NULL;
	gcode_lexer_init(&lx, NULL);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		snprintf(why, whysz, "cannot start SHA-256");
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	/* Whole blocks (short reads of a regular file only at its end),
	 * so that block k begins at k * BLOCK. */
	while ((n = pread(f->fd, buf, sizeof(buf), off)) > 0) {
		if (f->nblocks == cap) {
			cap = cap ? cap * 2 : 64;
			f->blocks = xrealloc(f->blocks, cap * sizeof(c));
		}
		f->blocks[f->nblocks++] = c;
		count(&c, buf, (size_t)n);
		layers_scan(f, &lcap, &lx, &seen, buf, (size_t)n);
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		crc = crc32(crc, buf, (uInt)n);
		off += n;
		if (n < (ssize_t)sizeof(buf))
			break;
	}
	if (n < 0) {
		snprintf(why, whysz, "reading the job at byte %lld: %s",
		    (long long)off, strerror(errno));
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	if (gcode_lex_end(&lx) == GCODE_CMD)
		layers_note(f, &lcap, &lx, &seen);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(f->sha256 + 2 * i, 3, "%02x", md[i]);
	f->size = (long long)off;
	f->crc32 = (unsigned long)crc;
	f->total = c.commands + c.cmd;
	return 0;
}

/* The commands wholly before byte pos of the file; all of them at its
 * end (the last line may have no newline). */
long
net_file_lines_at(const struct net_file *f, long long pos)
{
	unsigned char buf[BLOCK];
	struct net_count c;
	size_t k;
	ssize_t n;

	if (f->nblocks == 0 || pos <= 0)
		return 0;
	if (pos >= f->size)
		return f->total;
	k = (size_t)(pos / BLOCK);
	if (k >= f->nblocks)
		k = f->nblocks - 1;
	c = f->blocks[k];
	n = pread(f->fd, buf, (size_t)(pos - (long long)k * BLOCK),
	    (off_t)k * BLOCK);
	if (n > 0)
		count(&c, buf, (size_t)n);
	return c.commands;
}

unsigned long
net_file_layer_at(const struct net_file *f, long long pos)
{
	size_t lo = 0, hi = f->nlayers, mid;

	/* The number of layers whose first command ends at or before pos. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f->layers[mid] <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (unsigned long)lo;
}

void
net_file_free(struct net_file *f)
{
	free(f->blocks);
	f->blocks = NULL;
	f->nblocks = 0;
	free(f->layers);
	f->layers = NULL;
	f->nlayers = 0;
}
