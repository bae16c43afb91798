/*
 * media.c - the pictures and videos of gwebd's API: a job's thumbnail
 * (the largest PNG that ingest kept from the file's comment block), its
 * timelapse video with Range requests, and a printer's latest webcam
 * frame (spoold's, else the camera relay's, relay.c).
 *
 * One rule says which printers have a frame to show, for the snapshot,
 * the page (each printer's "camera" in the queue) and OctoPrint's
 * /api/settings alike: a printer with a camera key (an http:// or
 * https:// camera is relayed and streamed; a /dev/ one gives the frames
 * its timelapse filter keeps), or a remote queue (device sftp://), whose
 * backend mirrors the other host's frame into the printer's folder.
 * Any other printer's snapshot is a 404 that says it has no camera,
 * even if a stray webcam.jpg lies in its folder.
 *
 * Security: gwebd opens no file of the spool, and no URL part names a
 * file: spoold opens each under the job's or the printer's folder,
 * without following links, as the account (its own jobs alone, or
 * every job for an administrator; anyone's printer's frame, as in
 * gsftpd), and passes the descriptor.  A refusal is 404, so that
 * another account's job is not told apart from none.  A Range header
 * is one range of bytes=A-B, A- or -N within the file; anything else
 * is 416.
 *
 * Diagnostics: a 404 says what is missing, for which job or printer; a
 * 416 gives the range and the file's size; a spoold that cannot be
 * reached is 503.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gwebd.h"
#include "util.h"
#include "webparse.h"

/* A refusal of a file: 503 when spoold is away, else 404. */
static enum MHD_Result
refused(struct req *r, const char *what, const char *why)
{
	if (strstr(why, "cannot be reached") != NULL ||
	    strstr(why, "went away") != NULL)
		return http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "%s: %s",
		    what, why);
	return http_error(r, MHD_HTTP_NOT_FOUND, "%s: none here", what);
}

/* The file open on fd (size bytes), whole or the request's range. */
static enum MHD_Result
send_fd(struct req *r, int fd, long long size, const char *type,
    int ranges)
{
	struct MHD_Response *resp;
	const char *h = NULL;
	long long from = 0, len = size;
	unsigned status = MHD_HTTP_OK;
	char cr[96];

	if (ranges)
		h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_RANGE);
	if (h != NULL) {
		if (web_range(h, size, &from, &len) < 0) {
			close(fd);
			if ((resp = MHD_create_response_from_buffer(0, NULL,
			    MHD_RESPMEM_PERSISTENT)) == NULL)
				return MHD_NO;
			snprintf(cr, sizeof(cr), "bytes */%lld", size);
			MHD_add_response_header(resp, "Content-Range", cr);
			return http_reply(r,
			    MHD_HTTP_RANGE_NOT_SATISFIABLE, resp);
		}
		status = MHD_HTTP_PARTIAL_CONTENT;
	}
	if ((resp = MHD_create_response_from_fd_at_offset64((uint64_t)len, fd,
	    (uint64_t)from)) == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	if (ranges)
		MHD_add_response_header(resp, "Accept-Ranges", "bytes");
	if (status == MHD_HTTP_PARTIAL_CONTENT) {
		snprintf(cr, sizeof(cr), "bytes %lld-%lld/%lld", from,
		    from + len - 1, size);
		MHD_add_response_header(resp, "Content-Range", cr);
	}
	return http_reply(r, status, resp);
}

/* GET /api/gspool/jobs/ID/thumbnail, /timelapse. */
enum MHD_Result
media_job(struct req *r, long id, const char *kind)
{
	char ids[24], what[64], why[512] = "";
	long long size;
	int fd;

	if (strcmp(r->method, "GET") != 0)
		return http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: GET"
		    " it", r->url);
	snprintf(ids, sizeof(ids), "%ld", id);
	snprintf(what, sizeof(what), "job %ld's %s", id, kind);
	if ((fd = ctl_file(r->w, r->acct, "job-file", ids, kind, &size, why,
	    sizeof(why))) < 0)
		return refused(r, what, why);
	if (strcmp(kind, "thumbnail") == 0)
		return send_fd(r, fd, size, "image/png", 0);
	return send_fd(r, fd, size, "video/mp4", 1);
}

/* What the printer's frame is: MEDIA_CAM_STREAM when the relay streams
 * its camera, MEDIA_CAM_SNAPSHOT when there are only the frames spoold
 * keeps, MEDIA_CAM_NONE when it has no camera (p may be NULL). */
enum media_cam
media_camera(const struct conf_printer *p)
{
	if (p == NULL)
		return MEDIA_CAM_NONE;
	if (p->camera != NULL && (strncmp(p->camera, "http://", 7) == 0 ||
	    strncmp(p->camera, "https://", 8) == 0))
		return MEDIA_CAM_STREAM;
	if (p->camera != NULL || (p->device != NULL &&
	    strncmp(p->device, "sftp://", 7) == 0))
		return MEDIA_CAM_SNAPSHOT;
	return MEDIA_CAM_NONE;
}

/* The page's word for media_camera(): "stream", "snapshot" or NULL. */
const char *
media_camera_name(enum media_cam m)
{
	switch (m) {
	case MEDIA_CAM_STREAM:
		return "stream";
	case MEDIA_CAM_SNAPSHOT:
		return "snapshot";
	case MEDIA_CAM_NONE:
		break;
	}
	return NULL;
}

/* GET /api/gspool/printers/NAME/snapshot: the frame spoold keeps. */
enum MHD_Result
media_snapshot(struct req *r, const char *printer)
{
	char what[CONF_NAME_MAX + 32], why[512] = "";
	struct MHD_Response *resp;
	unsigned char *jpeg;
	long long size;
	size_t n;
	int fd;

	if (strcmp(r->method, "GET") != 0)
		return http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: GET"
		    " it", r->url);
	if (conf_printer(&r->w->conf, printer) == NULL)
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: no such"
		    " printer", printer);
	if (media_camera(conf_printer(&r->w->conf, printer)) ==
	    MEDIA_CAM_NONE)
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: no camera (no"
		    " camera key, and not an sftp:// queue)", printer);
	snprintf(what, sizeof(what), "%s's webcam frame", printer);
	if ((fd = ctl_file(r->w, r->acct, "webcam", printer, NULL, &size, why,
	    sizeof(why))) < 0) {
		/* None kept by the filter: the relay's, if it has one. */
		if ((n = relay_latest(printer, &jpeg)) == 0)
			return refused(r, what, why);
		if ((resp = MHD_create_response_from_buffer(n, jpeg,
		    MHD_RESPMEM_MUST_FREE)) == NULL) {
			free(jpeg);
			return MHD_NO;
		}
		MHD_add_response_header(resp, "Content-Type", "image/jpeg");
		return http_reply(r, MHD_HTTP_OK, resp);
	}
	return send_fd(r, fd, size, "image/jpeg", 0);
}
