/*
 * timelapse - a gspool filter (gspool-filter(7)): a frame from the
 * printer's webcam at each layer change, or every N seconds, and a video
 * of them when the job ends.
 *
 *   timelapse job-id user title copies options [file]
 *
 * The camera ($GSPOOL_CAMERA) is a V4L2 device (/dev/videoN, a frame at
 * a time through ffmpeg) or an HTTP URL: a snapshot URL answers
 * each request with one JPEG; a stream URL (multipart/x-mixed-replace,
 * MJPEG) is kept open, and a frame asked for is the first whole JPEG
 * that begins after the asking, so that it shows the printer as it is
 * then.  Which it is is learnt from the first answer: its Content-Type,
 * or a multipart boundary where a JPEG would begin.
 * Every frame is checked to be one whole JPEG (its segments walked from
 * SOI to EOI, mjpeg.c) before it is kept: a camera that sends half a
 * frame, an error page or nothing gets the frame counted as failed,
 * never kept.
 *
 * A printer with park_gcode parks its head at each layer change and
 * tells it ("parked N"): the frame is taken then, and "UNPARK" on
 * standard error lets the printer go on (it does by itself after
 * park_timeout).
 *
 * Frames go to frames/frameNNNNNN.jpg in the job's folder (the current
 * directory), the latest also to $GSPOOL_WEBCAM.  When the job ends
 * (the "end" event, or the end of standard input), ffmpeg renders
 * timelapse.mp4 (H.264) with the last frame held, and the last frame is
 * kept as preview.jpg (in copy-N/ for the N-th copy of a job with
 * copies); the frames are removed after a good render and
 * kept after a failed one.  Results are reported as ATTR: lines.
 *
 * One loop (event.h) serves it all: standard input, curl's sockets and
 * timeout (curl's multi-socket interface), a device's ffmpeg and its
 * time limit, and the render's progress; nothing waits on one thing
 * alone, so an event line is read while a device's frame comes.
 *
 * Options (the fifth argument, "name=value ..."):
 *   every=N       a frame every N seconds instead of at each layer
 *   fps=N         frames a second of the video (30)
 *   length=N      or: the video's length in seconds, fps from it
 *   min_fps=N, max_fps=N  the bounds of that (5, 60)
 *   rotate=N      0, 90, 180 or 270 degrees clockwise
 *   flip_x=yes, flip_y=yes  mirrored, as the camera is mounted
 *   hold=N        times the last frame is repeated (5)
 *   crf=N         H.264 quality (23)
 *   timeout=N     seconds a frame may take (5)
 *   delay=MS      wait so long after a layer change (the camera's lag)
 *   ffmpeg=PATH   the ffmpeg to run (/usr/bin/ffmpeg)
 *   render=no     keep the frames, make no video
 *
 * Security: what the camera sends is anybody's who answers at its
 * address: a frame is read with a time limit (timeout) and a size
 * limit (MJPEG_FRAME_MAX), and kept only if mjpeg.c finds it one whole
 * JPEG.  The events on standard input are spoold's, read a line at a
 * time; an unknown one is ignored.  ffmpeg is run with its arguments
 * as a list, never through a shell, and the frames' names are ours.
 *
 * Diagnostics: on standard error, as gspool-filter(7) says: INFO: and
 * WARNING: lines for what it does and what fails on the way (a frame,
 * the camera), ERROR: for what leaves no video (and why), ATTR: lines
 * for the results.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "event.h"
#include "log.h"
#include "mjpeg.h"
#include "usage.h"
#include "util.h"

#define FRAME_MAX	MJPEG_FRAME_MAX	/* the largest JPEG taken */

/* "copy-N/" for the N-th copy of a job (N > 1), where its frames and
 * video go; "" for the first. */
static char copy_dir[32];

struct opts {
	long	 every;			/* seconds; 0: at layer changes */
	long	 fps, length, hold, crf, timeout, delay;
	long	 min_fps, max_fps, rotate;
	int	 flip_x, flip_y;
	const char *ffmpeg;
	int	 render;
};

/* What the camera sends, as it comes. */
struct cam {
	const char *url;
	CURLM	*multi;
	CURL	*easy;			/* the transfer running, or NULL */
	int	 stream;		/* -1 not known yet, 0 snapshot, 1 MJPEG */
	unsigned char *buf;
	size_t	 len, cap;
	long long started;		/* ms: when this transfer began */
	long long frame_from;		/* stream: frames that begin after */
	long long partial_since;	/* when the frame now coming began */
	long long retry_at;		/* ms: the next connection */
	long	 backoff;
	char	 error[CURL_ERROR_SIZE];
};

struct state {
	struct opts o;
	struct cam cam;
	int	 wanted;		/* frames asked for, not yet taken */
	long long want_since;		/* ms: the oldest asking */
	long	 frames, failed;
	int	 parked;		/* a parked printer waits for a frame */
	long	 parked_layer;		/* its layer: no second frame there */
	const char *webcam;
	char	 cam_error[300];	/* the camera's last failure */
	int	 ended;
	char	 end_state[32];
	/* The loop (event.h): standard input, curl's sockets and timer,
	 * the device's ffmpeg, and the checks of what is due. */
	struct ev_loop	*ev;
	struct ev_io	*in_io;
	struct ev_timer	*curl_timer, *check;
	struct ev_defer	*step;
	int	 in_open, device;
	long long next_tick;		/* ms: every=N's next frame, or 0 */
	char	 line[512];		/* the event line coming */
	size_t	 len;
	struct grab {			/* a device's frame being read */
		pid_t		 pid;	/* 0: none */
		int		 fd;
		struct ev_io	*io;
		struct ev_timer	*limit;
	} grab;
};

static void
say(const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(const char *kind, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", kind);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* The camera's last failure, kept for the end's ATTR: lines (and said
 * now as a warning): cleaned of control bytes, for it quotes a URL and
 * a server's words. */
static void
cam_failed(struct state *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
cam_failed(struct state *s, const char *fmt, ...)
{
	char raw[sizeof(s->cam_error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	clean_text(s->cam_error, sizeof(s->cam_error), raw);
	say("WARNING", "%s", s->cam_error);
}

/* Why curl got no frame, in words a user reads: the connection, the
 * camera's HTTP status, or curl's own message. */
static void
cam_curl_failed(struct state *s, CURLcode rc)
{
	struct cam *c = &s->cam;
	long code = 0, oserr = 0;

	if (c->easy != NULL) {
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &oserr);
	}
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
		cam_failed(s, "couldn't connect to the camera at %s: %s",
		    c->url, oserr ? strerror((int)oserr) : c->error[0] ?
		    c->error : curl_easy_strerror(rc));
	else if (rc == CURLE_HTTP_RETURNED_ERROR && code >= 400)
		cam_failed(s, "the camera at %s answered HTTP %ld", c->url,
		    code);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		cam_failed(s, "no frame from the camera at %s in %ld s",
		    c->url, s->o.timeout);
	else
		cam_failed(s, "no frame from the camera at %s: %s", c->url,
		    c->error[0] ? c->error : curl_easy_strerror(rc));
}

/* Write a file whole or not at all. */
static int
put_file(const char *path, const unsigned char *b, size_t n)
{
	char tmp[PATH_MAX];
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -1;
	ok = write_all(fd, b, n) == 0;
	if (close(fd) < 0 || !ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* A frame asked for is settled (taken or given up): a printer parked
 * for it goes on. */
static void
frame_settled(struct state *s)
{
	if (s->parked) {
		s->parked = 0;
		fprintf(stderr, "UNPARK\n");
		fflush(stderr);
	}
}

static void
take_frame(struct state *s, const unsigned char *b, size_t n)
{
	char path[64];

	snprintf(path, sizeof(path), "frames/frame%06ld.jpg", s->frames + 1);
	if (put_file(path, b, n) < 0) {
		say("ERROR", "cannot write %s: %s", path, strerror(errno));
		s->failed++;
	} else
		s->frames++;
	if (s->webcam != NULL && s->webcam[0] != '\0' &&
	    put_file(s->webcam, b, n) < 0)
		say("WARNING", "cannot write %s: %s", s->webcam,
		    strerror(errno));
	s->wanted--;
	s->want_since = monotonic_ms();
	if (s->wanted == 0)
		frame_settled(s);
}

/* A whole frame of a stream, at offset at of what is kept. */
static void
stream_frame(const unsigned char *b, size_t n, size_t at, void *arg)
{
	struct state *s = arg;
	struct cam *c = &s->cam;
	long long began;

	/* Only a frame that began after it was asked for. */
	began = at == 0 && c->partial_since ? c->partial_since :
	    monotonic_ms();
	c->partial_since = 0;
	if (s->wanted > 0 && began >= c->frame_from)
		take_frame(s, b, n);
	c->frame_from = monotonic_ms();
}

/* A stream's bytes: whole JPEGs are taken out as they complete. */
static void
stream_scan(struct state *s)
{
	struct cam *c = &s->cam;

	if (mjpeg_scan(c->buf, &c->len, stream_frame, s) &&
	    c->partial_since == 0)
		c->partial_since = monotonic_ms();
}

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct state *s = arg;
	struct cam *c = &s->cam;
	size_t n = size * nmemb;
	char *ct = NULL;

	if (c->stream < 0 && n > 0) {
		/* A stream says so in its Content-Type, or begins with the
		 * boundary of its first part (ffmpeg's mpjpeg server sends
		 * application/octet-stream). */
		curl_easy_getinfo(c->easy, CURLINFO_CONTENT_TYPE, &ct);
		c->stream = mjpeg_is_stream(ct, data, n);
		if (c->stream)
			say("INFO", "the camera sends a stream (%s)", ct ? ct :
			    "no Content-Type");
	}
	if (c->len + n > FRAME_MAX) {
		if (!c->stream)
			return 0;	/* no JPEG is this large */
		c->len = 0;		/* a stream without frames */
	}
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 65536;
		unsigned char *b;

		while (cap < c->len + n)
			cap *= 2;
		if ((b = realloc(c->buf, cap)) == NULL)
			return 0;
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	if (c->stream == 1)
		stream_scan(s);
	return n;
}

static void
cam_start(struct state *s)
{
	struct cam *c = &s->cam;

	c->easy = curl_easy_init();
	curl_easy_setopt(c->easy, CURLOPT_URL, c->url);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->error);
	curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->easy, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c->easy, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT, s->o.timeout);
	/* A camera that stops sending is given up after timeout. */
	curl_easy_setopt(c->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->easy, CURLOPT_LOW_SPEED_TIME, s->o.timeout);
	if (c->stream == 0)
		curl_easy_setopt(c->easy, CURLOPT_TIMEOUT, s->o.timeout);
	c->error[0] = '\0';
	c->len = 0;
	c->started = monotonic_ms();
	c->frame_from = c->started;
	curl_multi_add_handle(c->multi, c->easy);
}

/* A transfer ended: a snapshot's JPEG is checked and kept. */
static void
cam_done(struct state *s, CURLcode rc)
{
	struct cam *c = &s->cam;
	long n;

	if (rc != CURLE_OK && c->stream != 1)
		cam_curl_failed(s, rc);
	curl_multi_remove_handle(c->multi, c->easy);
	curl_easy_cleanup(c->easy);
	c->easy = NULL;
	if (c->stream == 1) {
		cam_failed(s, "the camera's stream at %s ended: %s", c->url,
		    rc == CURLE_OK ? "closed" : c->error[0] ? c->error :
		    curl_easy_strerror(rc));
		c->retry_at = monotonic_ms() + c->backoff;
		c->backoff = c->backoff < 8000 ? c->backoff * 2 : 8000;
		return;
	}
	/* What the camera is, once it has answered. */
	if (c->stream < 0 && rc == CURLE_OK)
		c->stream = 0;
	if (rc != CURLE_OK) {
		;	/* said above */
	} else if ((n = mjpeg_frame_length(c->buf, c->len)) <= 0) {
		cam_failed(s, "the camera at %s sent %s (%zu bytes), not a"
		    " JPEG; frame dropped", c->url, n == 0 ?
		    "part of a frame" : "something else", c->len);
	} else {
		if (s->wanted > 0)
			take_frame(s, c->buf, (size_t)n);
		c->backoff = 500;
		return;
	}
	/* A snapshot asked for failed; with a camera not known yet, the
	 * frames asked for wait for the next try (or their timeout). */
	if (s->wanted > 0 && c->stream == 0) {
		s->wanted--;
		s->failed++;
		if (s->wanted == 0)
			frame_settled(s);
	}
	c->retry_at = monotonic_ms() + c->backoff;
	c->backoff = c->backoff < 8000 ? c->backoff * 2 : 8000;
}

/* A device's frame asked for is not had. */
static void
grab_failed(struct state *s)
{
	s->wanted--;
	s->failed++;
	s->want_since = monotonic_ms();
	if (s->wanted == 0)
		frame_settled(s);
}

/*
 * A V4L2 device (camera = /dev/videoN): one frame through ffmpeg, its
 * MJPEG output read as it comes, within the frame's timeout, and
 * checked like any other.
 */
static void
grab_end(struct state *s)
{
	struct cam *c = &s->cam;
	struct grab *g = &s->grab;
	int status;
	long n;

	ev_io_del(g->io);
	g->io = NULL;
	ev_timer_stop(g->limit);
	close(g->fd);
	/* Its output closed or it was killed: it is gone or going. */
	while (waitpid(g->pid, &status, 0) < 0 && errno == EINTR)
		;
	g->pid = 0;
	ev_defer_post(s->step);
	if ((n = mjpeg_frame_length(c->buf, c->len)) > 0) {
		take_frame(s, c->buf, (size_t)n);
		return;
	}
	cam_failed(s, "the camera at %s gave no whole JPEG (%zu bytes)",
	    c->url, c->len);
	grab_failed(s);
}

static void
grab_readable(int fd, int revents, void *arg)
{
	struct state *s = arg;
	struct cam *c = &s->cam;
	unsigned char buf[65536];
	ssize_t r;

	(void)revents;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if (c->len + (size_t)r > FRAME_MAX) {
			kill(s->grab.pid, SIGKILL);
			break;
		}
		if (c->len + (size_t)r > c->cap) {
			size_t cap = c->cap ? c->cap : 65536;
			unsigned char *b;

			while (cap < c->len + (size_t)r)
				cap *= 2;
			if ((b = realloc(c->buf, cap)) == NULL)
				break;
			c->buf = b;
			c->cap = cap;
		}
		memcpy(c->buf + c->len, buf, (size_t)r);
		c->len += (size_t)r;
	}
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	grab_end(s);
}

static void
grab_timeout(void *arg)
{
	struct state *s = arg;

	cam_failed(s, "no frame from the camera at %s in %ld s", s->cam.url,
	    s->o.timeout);
	kill(s->grab.pid, SIGKILL);
	grab_end(s);
}

static void
grab_start(struct state *s)
{
	struct cam *c = &s->cam;
	struct grab *g = &s->grab;
	int out[2];
	pid_t pid;

	c->len = 0;
	if (pipe2(out, O_CLOEXEC) < 0) {
		say("WARNING", "pipe: %s", strerror(errno));
		grab_failed(s);
		return;
	}
	switch ((pid = fork())) {
	case -1:
		say("WARNING", "fork: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		grab_failed(s);
		return;
	case 0:
		dup2(out[1], STDOUT_FILENO);
		execl(s->o.ffmpeg, "ffmpeg", "-hide_banner", "-nostdin",
		    "-loglevel", "error", "-f", "v4l2", "-i", c->url,
		    "-frames:v", "1", "-q:v", "3", "-f", "mjpeg", "pipe:1",
		    (char *)NULL);
		fprintf(stderr, "WARNING: cannot run %s: %s\n", s->o.ffmpeg,
		    strerror(errno));
		_exit(127);
	}
	close(out[1]);
	fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
	g->pid = pid;
	g->fd = out[0];
	g->io = ev_io_add(s->ev, out[0], EV_READ, grab_readable, s);
	ev_timer_in(g->limit, s->o.timeout * 1000);
}

/* A frame is asked for: one that begins from now (and delay ms). */
static void
want_frame(struct state *s)
{
	long long at = monotonic_ms() + s->o.delay;

	if (s->wanted++ == 0)
		s->want_since = at;
	if (s->cam.stream == 1 && s->wanted == 1)
		s->cam.frame_from = at;
	else if (s->cam.stream == 0 && s->cam.easy == NULL &&
	    s->cam.retry_at < at)
		s->cam.retry_at = at;
}

/* One line of standard input: the job's events. */
static void
on_event(struct state *s, char *line)
{
	if (strcmp(line, "start") == 0) {
		if (s->o.every > 0)
			want_frame(s);
	} else if (strncmp(line, "parked ", 7) == 0) {
		/* The printer has parked its head for this frame, and waits
		 * for UNPARK. */
		s->parked = 1;
		s->parked_layer = strtol(line + 7, NULL, 10);
		want_frame(s);
	} else if (strncmp(line, "layer ", 6) == 0) {
		/* A layer the printer parked for has its frame already. */
		if (s->o.every == 0 &&
		    strtol(line + 6, NULL, 10) != s->parked_layer)
			want_frame(s);
	} else if (strncmp(line, "end", 3) == 0) {
		s->ended = 1;
		snprintf(s->end_state, sizeof(s->end_state), "%.31s",
		    line[3] == ' ' ? line + 4 : "");
	}
}

/* The last line of what ffmpeg said (its end read only, cleaned), or
 * "". */
static void
last_line(const char *path, char *out, size_t outsz)
{
	char buf[512], *p, *e;
	ssize_t n;
	off_t end;
	int fd;

	out[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	if (end < 0 || lseek(fd, end > (off_t)sizeof(buf) - 1 ?
	    end - (off_t)sizeof(buf) + 1 : 0, SEEK_SET) < 0 ||
	    (n = read(fd, buf, sizeof(buf) - 1)) <= 0) {
		close(fd);
		return;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' '))
		buf[--n] = '\0';
	p = (e = strrchr(buf, '\n')) != NULL ? e + 1 : buf;
	clean_text(out, outsz, p);
}

/* ffmpeg's progress ("frame=N" lines) as the render runs. */
struct progress {
	struct state	*s;
	struct ev_io	*io;
	long		 frames;
	int		 told;		/* quarters said */
	char		 line[256];
	size_t		 len;
};

static void
progress_line(struct progress *p)
{
	long f;

	if (strncmp(p->line, "frame=", 6) != 0 || p->frames <= 0)
		return;
	f = strtol(p->line + 6, NULL, 10);
	/* ffmpeg's count, bounded before the sum. */
	if (f < 0 || f > p->frames)
		f = p->frames;
	/* Once a quarter crossed, with the share reached: ffmpeg may
	 * report rarely, its first count past several quarters at once. */
	if (p->told < 3 && f * 4 >= (p->told + 1) * p->frames) {
		while (p->told < 3 && f * 4 >= (p->told + 1) * p->frames)
			p->told++;
		say("INFO", "rendering: %ld%% (%ld of %ld frames)",
		    f * 100 / p->frames, f, p->frames);
	}
}

static void
progress_readable(int fd, int revents, void *arg)
{
	struct progress *p = arg;
	char buf[4096];
	ssize_t n, i;

	(void)revents;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++) {
			p->line[p->len++] = buf[i];
			/* A line too long is taken in pieces. */
			if (buf[i] == '\n' || p->len == sizeof(p->line) - 1) {
				p->line[p->len] = '\0';
				progress_line(p);
				p->len = 0;
			}
		}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* Its end (or a read error): what it said last is in ffmpeg.err. */
	ev_io_del(p->io);
	p->io = NULL;
	ev_break(p->s->ev);
}

static int
run_ffmpeg(struct state *s, long frames, char *why, size_t whysz)
{
	char fps[32], crf[32], vf[160], last[200];
	int status, out[2], errfd = -1;
	struct progress p;
	pid_t pid;

	if (s->o.length > 0) {
		long f = frames / s->o.length;

		f = f < s->o.min_fps ? s->o.min_fps : f > s->o.max_fps ?
		    s->o.max_fps : f;
		snprintf(fps, sizeof(fps), "%ld", f);
	} else
		snprintf(fps, sizeof(fps), "%ld", s->o.fps);
	snprintf(crf, sizeof(crf), "%ld", s->o.crf);
	/* Turned as the camera is mounted, then even sides for H.264. */
	snprintf(vf, sizeof(vf), "%s%s%s%spad=ceil(iw/2)*2:ceil(ih/2)*2",
	    s->o.rotate == 90 ? "transpose=1," : s->o.rotate == 180 ?
	    "transpose=1,transpose=1," : s->o.rotate == 270 ? "transpose=2," :
	    "", s->o.flip_x ? "hflip," : "", s->o.flip_y ? "vflip," : "", "");
	if (pipe2(out, O_CLOEXEC) < 0) {
		snprintf(why, whysz, "pipe: %s", strerror(errno));
		return -1;
	}
	switch ((pid = fork())) {
	case -1:
		snprintf(why, whysz, "fork: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		return -1;
	case 0:
		/* Its progress ("frame=N" lines) on standard output, its
		 * errors in ffmpeg.err: the last one tells why. */
		dup2(out[1], STDOUT_FILENO);
		if ((errfd = open("ffmpeg.err", O_WRONLY | O_CREAT | O_TRUNC |
		    O_NOFOLLOW, 0644)) >= 0)
			dup2(errfd, STDERR_FILENO);
		execl(s->o.ffmpeg, "ffmpeg", "-hide_banner", "-nostdin",
		    "-loglevel", "error", "-y", "-progress", "pipe:1",
		    "-framerate", fps, "-i", "frames/frame%06d.jpg", "-vf", vf,
		    "-c:v", "libx264", "-crf", crf, "-pix_fmt", "yuv420p", "-an",
		    "-f", "mp4", "timelapse.mp4.tmp", (char *)NULL);
		dprintf(errfd >= 0 ? errfd : STDERR_FILENO, "cannot run %s:"
		    " %s\n", s->o.ffmpeg, strerror(errno));
		_exit(127);
	}
	close(out[1]);
	/* Its progress read by the loop until it closes its output. */
	fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
	memset(&p, 0, sizeof(p));
	p.s = s;
	p.frames = frames;
	p.io = ev_io_add(s->ev, out[0], EV_READ, progress_readable, &p);
	if (ev_run(s->ev) < 0)
		say("WARNING", "poll: %s", strerror(errno));
	ev_io_del(p.io);
	close(out[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, whysz, "waitpid: %s", strerror(errno));
			return -1;
		}
	last_line("ffmpeg.err", last, sizeof(last));
	unlink("ffmpeg.err");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    rename("timelapse.mp4.tmp", "timelapse.mp4") == 0)
		return 0;
	unlink("timelapse.mp4.tmp");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(why, whysz, "cannot run %s", s->o.ffmpeg);
	else if (WIFEXITED(status))
		snprintf(why, whysz, "ffmpeg exited with %d%s%s",
		    WEXITSTATUS(status), last[0] ? ": " : "", last);
	else
		snprintf(why, whysz, "ffmpeg was killed by signal %d",
		    WTERMSIG(status));
	return -1;
}

/* The end: the last frame held, the video, the preview. */
static int
render(struct state *s)
{
	char last[64], extra[64], why[256];
	long i;

	printf("%s", "");
	fprintf(stderr, "ATTR: timelapse.frames=%ld\n", s->frames);
	fprintf(stderr, "ATTR: timelapse.failed_frames=%ld\n", s->failed);
	/* Why frames were missed: the camera's last failure. */
	if (s->failed > 0 && s->cam_error[0] != '\0')
		fprintf(stderr, "ATTR: timelapse.camera_error=%s\n",
		    s->cam_error);
	if (s->frames == 0) {
		say("WARNING", "no frame was taken: no video");
		fprintf(stderr, "ATTR: timelapse.render=no frames\n");
		fprintf(stderr, "ATTR: timelapse.error=%s\n",
		    s->cam_error[0] ? s->cam_error : "no frame was asked for");
		return 0;
	}
	snprintf(last, sizeof(last), "frames/frame%06ld.jpg", s->frames);
	if (link(last, "preview.jpg.tmp") == 0 &&
	    rename("preview.jpg.tmp", "preview.jpg") == 0)
		fprintf(stderr, "ATTR: timelapse.preview=%spreview.jpg\n",
		    copy_dir);
	if (!s->o.render) {
		fprintf(stderr, "ATTR: timelapse.render=not asked for\n");
		return 0;
	}
	for (i = 1; i <= s->o.hold; i++) {
		snprintf(extra, sizeof(extra), "frames/frame%06ld.jpg",
		    s->frames + i);
		if (link(last, extra) < 0)
			break;
	}
	say("INFO", "rendering %ld frames", s->frames + s->o.hold);
	if (run_ffmpeg(s, s->frames + s->o.hold, why, sizeof(why)) < 0) {
		say("ERROR", "the video was not made: %s; the frames are kept",
		    why);
		fprintf(stderr, "ATTR: timelapse.render=failed: %s\n", why);
		fprintf(stderr, "ATTR: timelapse.render_error=%s\n", why);
		fprintf(stderr, "ATTR: timelapse.error=%s\n", why);
		for (i = 1; i <= s->o.hold; i++) {
			snprintf(extra, sizeof(extra), "frames/frame%06ld.jpg",
			    s->frames + i);
			unlink(extra);
		}
		return 1;
	}
	for (i = 1; i <= s->frames + s->o.hold; i++) {
		snprintf(extra, sizeof(extra), "frames/frame%06ld.jpg", i);
		unlink(extra);
	}
	rmdir("frames");
	fprintf(stderr, "ATTR: timelapse.video=%stimelapse.mp4\n", copy_dir);
	fprintf(stderr, "ATTR: timelapse.render=ok\n");
	say("INFO", "timelapse.mp4 made of %ld frames", s->frames);
	return 0;
}

static int
opt_long(const char *name, const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max) {
		say("ERROR", "option %s=%s: give %ld to %ld", name, v, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

static int
parse_opts(struct opts *o, char *list)
{
	char *w, *save = NULL, *eq;
	int bad = 0;

	o->every = 0;
	o->fps = 30;
	o->length = 0;
	o->hold = 5;
	o->crf = 23;
	o->timeout = 5;
	o->delay = 0;
	o->min_fps = 5;
	o->max_fps = 60;
	o->rotate = 0;
	o->flip_x = o->flip_y = 0;
	o->ffmpeg = "/usr/bin/ffmpeg";
	o->render = 1;
	for (w = strtok_r(list, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save)) {
		if ((eq = strchr(w, '=')) == NULL) {
			say("ERROR", "option '%s' is not name=value", w);
			bad = 1;
			continue;
		}
		*eq++ = '\0';
		if (strcmp(w, "every") == 0)
			bad |= opt_long(w, eq, 1, 86400, &o->every) < 0;
		else if (strcmp(w, "fps") == 0)
			bad |= opt_long(w, eq, 1, 120, &o->fps) < 0;
		else if (strcmp(w, "length") == 0)
			bad |= opt_long(w, eq, 1, 3600, &o->length) < 0;
		else if (strcmp(w, "hold") == 0)
			bad |= opt_long(w, eq, 0, 600, &o->hold) < 0;
		else if (strcmp(w, "crf") == 0)
			bad |= opt_long(w, eq, 0, 51, &o->crf) < 0;
		else if (strcmp(w, "timeout") == 0)
			bad |= opt_long(w, eq, 1, 120, &o->timeout) < 0;
		else if (strcmp(w, "delay") == 0)
			bad |= opt_long(w, eq, 0, 10000, &o->delay) < 0;
		else if (strcmp(w, "min_fps") == 0)
			bad |= opt_long(w, eq, 1, 120, &o->min_fps) < 0;
		else if (strcmp(w, "max_fps") == 0)
			bad |= opt_long(w, eq, 1, 120, &o->max_fps) < 0;
		else if (strcmp(w, "rotate") == 0) {
			bad |= opt_long(w, eq, 0, 270, &o->rotate) < 0;
			if (o->rotate % 90 != 0) {
				say("ERROR", "option rotate=%s: give 0, 90, 180"
				    " or 270", eq);
				bad = 1;
			}
		} else if (strcmp(w, "flip_x") == 0)
			o->flip_x = strcmp(eq, "yes") == 0;
		else if (strcmp(w, "flip_y") == 0)
			o->flip_y = strcmp(eq, "yes") == 0;
		else if (strcmp(w, "ffmpeg") == 0)
			o->ffmpeg = eq;
		else if (strcmp(w, "render") == 0)
			o->render = strcmp(eq, "no") != 0;
		else if (strncmp(w, "timelapse.", 10) != 0) {
			/* Options of other filters are theirs. */
			continue;
		}
	}
	return bad ? -1 : 0;
}

static const char help[] =
"usage: timelapse job-id user title copies options [file]\n"
"       timelapse -h | --help | --version\n"
"  -h, --help           print this help and exit\n"
"  --version            print the version and exit\n"
"spoold runs it beside a job, as gspool-filter(7) says; its options are\n"
"the job's timelapse.* attributes (gspool-timelapse(8)).\n";

/* The frames' phase goes on until the job has ended and every frame
 * asked for is taken or given up. */
static int
frames_going(const struct state *s, long long t)
{
	return s->in_open || (s->wanted > 0 && !s->ended) ||
	    (s->wanted > 0 && t - s->want_since < s->o.timeout * 1000);
}

/* Transfers curl has finished. */
static void
cam_collect(struct state *s)
{
	CURLMsg *msg;
	int nq;

	while ((msg = curl_multi_info_read(s->cam.multi, &nq)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == s->cam.easy)
			cam_done(s, msg->data.result);
	ev_defer_post(s->step);
}

static void
on_curl_io(int fd, int revents, void *arg)
{
	struct state *s = arg;
	int running, flags = 0;

	if (revents & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (revents & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(s->cam.multi, fd, flags, &running);
	cam_collect(s);
}

static void
on_curl_timer(void *arg)
{
	struct state *s = arg;
	int running;

	curl_multi_socket_action(s->cam.multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	cam_collect(s);
}

/* curl's sockets, each a descriptor of the loop. */
static int
curl_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct state *s = arg;
	struct ev_io *io = sockp;
	int ev = (what == CURL_POLL_IN || what == CURL_POLL_INOUT ? EV_READ :
	    0) | (what == CURL_POLL_OUT || what == CURL_POLL_INOUT ? EV_WRITE :
	    0);

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		ev_io_del(io);
		curl_multi_assign(s->cam.multi, fd, NULL);
	} else if (io == NULL)
		curl_multi_assign(s->cam.multi, fd,
		    ev_io_add(s->ev, fd, ev, on_curl_io, s));
	else
		ev_io_set(io, ev);
	return 0;
}

/* curl's one timeout, the loop's timer. */
static int
curl_timer(CURLM *m, long ms, void *arg)
{
	struct state *s = arg;

	(void)m;
	if (ms < 0)
		ev_timer_stop(s->curl_timer);
	else
		ev_timer_in(s->curl_timer, ms);
	return 0;
}

/* Standard input: the job's events, a line at a time. */
static void
on_stdin(int fd, int revents, void *arg)
{
	struct state *s = arg;

	(void)revents;
	ev_defer_post(s->step);
	for (;;) {
		ssize_t n = read(fd, s->line + s->len, 1);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			break;
		if (s->line[s->len] == '\n' || s->len == sizeof(s->line) - 2) {
			s->line[s->len + (s->line[s->len] != '\n')] = '\0';
			on_event(s, s->line);
			s->len = 0;
		} else
			s->len++;
	}
	s->in_open = 0;
	s->ended = 1;
	ev_io_del(s->in_io);
	s->in_io = NULL;
}

static void
on_check(void *arg)
{
	struct state *s = arg;

	ev_defer_post(s->step);
}

/* When something is next due: a retry, a frame's timeout, the next
 * every=N frame, a device's frame; at most a second away.  What was due
 * by now was done, or waits for an event (a transfer's end, a device's
 * frame), which runs the step again: only later times count, or the
 * loop would spin. */
static long long
next_due(const struct state *s, long long t)
{
	long long due = t + 1000;

#define SOONER(x)	do { if ((x) > t && (x) < due) due = (x); } while (0)
	if (!s->device && s->cam.easy == NULL)
		SOONER(s->cam.retry_at);
	if (s->wanted > 0)
		SOONER(s->want_since + s->o.timeout * 1000 + 1);
	if (s->next_tick && !s->ended)
		SOONER(s->next_tick);
	if (s->device && s->wanted > 0 && s->grab.pid == 0)
		SOONER(s->want_since);
#undef SOONER
	return due;
}

/* After every event: what is due is done, and the loop ends with the
 * frames' phase. */
static void
step(void *arg)
{
	struct state *s = arg;
	long long t = monotonic_ms();

	if (!frames_going(s, t) || (s->ended && s->wanted == 0)) {
		ev_break(s->ev);
		return;
	}
	/* A device: a frame when one is wanted.  A stream is kept open; a
	 * snapshot taken when wanted. */
	if (s->device && s->wanted > 0 && t >= s->want_since &&
	    s->grab.pid == 0)
		grab_start(s);
	else if (!s->device && s->cam.easy == NULL && t >= s->cam.retry_at &&
	    (s->cam.stream == 1 || s->cam.stream < 0 || s->wanted > 0))
		cam_start(s);
	/* A frame wanted for longer than timeout: given up. */
	if (!s->device && s->wanted > 0 && t - s->want_since >
	    s->o.timeout * 1000 && s->cam.stream != 0) {
		cam_failed(s, "no frame from the camera at %s in %ld s",
		    s->cam.url, s->o.timeout);
		s->wanted--;
		s->failed++;
		s->want_since = t;
		if (s->wanted == 0)
			frame_settled(s);
	}
	if (s->next_tick && t >= s->next_tick && !s->ended) {
		want_frame(s);
		s->next_tick = t + s->o.every * 1000;
	}
	if (s->ended && s->wanted == 0) {
		ev_break(s->ev);
		return;
	}
	ev_timer_at(s->check, next_due(s, t));
}

/* The frames' phase on the loop; 0, or -1 if poll failed. */
static int
frames_run(struct state *s)
{
	int r;

	s->ev = ev_loop_new();
	s->step = ev_defer_new(s->ev, step, s);
	s->check = ev_timer_new(s->ev, on_check, s);
	s->curl_timer = ev_timer_new(s->ev, on_curl_timer, s);
	s->grab.limit = ev_timer_new(s->ev, grab_timeout, s);
	curl_multi_setopt(s->cam.multi, CURLMOPT_SOCKETFUNCTION, curl_socket);
	curl_multi_setopt(s->cam.multi, CURLMOPT_SOCKETDATA, s);
	curl_multi_setopt(s->cam.multi, CURLMOPT_TIMERFUNCTION, curl_timer);
	curl_multi_setopt(s->cam.multi, CURLMOPT_TIMERDATA, s);
	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	s->in_open = 1;
	s->in_io = ev_io_add(s->ev, STDIN_FILENO, EV_READ, on_stdin, s);
	ev_defer_post(s->step);
	r = ev_run(s->ev);
	if (r < 0)
		say("WARNING", "poll: %s", strerror(errno));
	/* What the render does not read. */
	ev_io_del(s->in_io);
	s->in_io = NULL;
	ev_timer_stop(s->check);
	if (s->grab.pid > 0) {
		kill(s->grab.pid, SIGKILL);
		grab_end(s);
	}
	ev_timer_stop(s->curl_timer);
	return r;
}

int
main(int argc, char *argv[])
{
	struct state s;
	int rc;

	log_init("timelapse", LOG_TO_STDERR, 0);
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0))
		usage_help(help);
	if (argc == 2 && strcmp(argv[1], "--version") == 0)
		usage_version();
	if (argc < 6 || argc > 7) {
		/* ERROR: as a filter's messages are read. */
		fprintf(stderr, "ERROR: timelapse takes job-id user title"
		    " copies options [file], not %d argument%s\n", argc - 1,
		    argc == 2 ? "" : "s");
		usage_error(2, NULL);
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&s, 0, sizeof(s));
	/* The options are read in place: ffmpeg= points into them. */
	if (parse_opts(&s.o, argv[5]) < 0)
		return 2;
	s.cam.url = getenv("GSPOOL_CAMERA");
	s.webcam = getenv("GSPOOL_WEBCAM");
	if (s.cam.url == NULL || s.cam.url[0] == '\0') {
		say("ERROR", "the printer has no camera (camera = URL)");
		fprintf(stderr, "ATTR: timelapse.render=no camera\n");
		fprintf(stderr, "ATTR: timelapse.error=the printer has no camera"
		    " (camera = URL)\n");
		return 1;
	}
	{
		const char *cp = getenv("GSPOOL_COPY");
		long k = cp ? strtol(cp, NULL, 10) : 1;

		if (k > 1 && k <= 1000) {
			snprintf(copy_dir, sizeof(copy_dir), "copy-%ld/", k);
			if ((mkdir(copy_dir, 0755) < 0 && errno != EEXIST) ||
			    chdir(copy_dir) < 0) {
				say("ERROR", "cannot use %s: %s", copy_dir,
				    strerror(errno));
				return 1;
			}
		}
	}
	if (mkdir("frames", 0755) < 0 && errno != EEXIST) {
		say("ERROR", "cannot make frames/: %s", strerror(errno));
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (s.cam.multi = curl_multi_init()) == NULL) {
		say("ERROR", "cannot set up libcurl");
		return 1;
	}
	s.cam.stream = -1;
	s.cam.backoff = 500;
	s.device = strncmp(s.cam.url, "/dev/", 5) == 0;
	say("INFO", "taking frames from %s %s", s.cam.url, s.o.every ?
	    "every few seconds" : "at each layer");
	if (s.o.every > 0)
		s.next_tick = monotonic_ms() + s.o.every * 1000;
	frames_run(&s);
	/* Frames still asked for when the camera's time ran out. */
	s.failed += s.wanted;
	s.wanted = 0;
	if (s.cam.easy != NULL) {
		curl_multi_remove_handle(s.cam.multi, s.cam.easy);
		curl_easy_cleanup(s.cam.easy);
	}
	curl_multi_cleanup(s.cam.multi);
	curl_global_cleanup();
	rc = render(&s);
	ev_loop_free(s.ev);
	free(s.cam.buf);
	return rc;
}
