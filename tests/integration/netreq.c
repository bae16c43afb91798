/*
 * netreq - one request through the network backends' HTTP side
 * (backends/http.c), for nethttp.sh:
 *
 *   netreq [-a basic|digest] [-c credfile] [-k header] [-s header:value]
 *       [-t ms] BASE METHOD PATH [FILE]
 *
 * With FILE, the file is the raw body (net_upload_raw, with the header
 * "X-Upload: yes"), or with -f NAME the multipart form's NAME part.
 * -t is how long the request may take (10 s unless said, as a backend's
 * -t of 0).
 * Prints "code=N" and the body, or "why=..." and exits 1.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"

int
main(int argc, char *argv[])
{
	struct net_host h;
	struct net_reply r;
	struct net_file f;
	const char *cred = NULL, *form = NULL, *sess = NULL;
	static const char *const hdrs[] = { "X-Upload: yes", NULL };
	char why[512];
	int ch, rv;

	memset(&h, 0, sizeof(h));
	h.timeout_ms = 10000;
	while ((ch = getopt(argc, argv, "a:c:f:k:s:t:")) != -1) {
		switch (ch) {
		case 'a':
			h.auth = strcmp(optarg, "basic") == 0 ? NET_AUTH_BASIC :
			    NET_AUTH_DIGEST;
			break;
		case 'c':
			cred = optarg;
			break;
		case 'f':
			form = optarg;
			break;
		case 'k':
			h.key_header = optarg;
			break;
		case 's':
			sess = optarg;
			break;
		case 't':
			h.timeout_ms = strtol(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3)
		return 2;
	snprintf(h.base, sizeof(h.base), "%s", argv[0]);
	net_http_init();
	if (cred != NULL && net_cred_read(cred, &h, why, sizeof(why)) < 0) {
		printf("why=%s\n", why);
		return 1;
	}
	if (sess != NULL) {
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(sess, ":"),
		    sess);
		net_session_set(&h, name, sess + strcspn(sess, ":") + 1);
	}
	memset(&r, 0, sizeof(r));
	if (argc > 3) {
		memset(&f, 0, sizeof(f));
		if ((f.fd = open(argv[3], O_RDONLY)) < 0 ||
		    net_file_scan(&f, why, sizeof(why)) < 0) {
			printf("why=%s: cannot read\n", argv[3]);
			return 1;
		}
		if (form != NULL) {
			struct net_field fl[] = { { "print", "true" } };

			rv = net_upload_form(&h, argv[2], fl, 1, form, "job.gcode",
			    &f, &r);
		} else
			rv = net_upload_raw(&h, argv[1], argv[2], NULL, hdrs, &f,
			    &r);
		net_file_free(&f);
		close(f.fd);
	} else
		rv = net_request(&h, argv[1], argv[2], NULL, &r);
	if (rv < 0)
		printf("why=%s\n", r.why);
	else
		printf("code=%ld\n%s\n", r.code, r.body ? r.body : "");
	net_reply_free(&r);
	return rv < 0 ? 1 : 0;
}
