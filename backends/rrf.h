/*
 * rrf.h - RepRapFirmware's HTTP interfaces as the duet backend reads
 * them (gspool-duet(8)): no I/O.  Answers of the board, or of the
 * single-board computer's DuetSoftwareFramework in SBC mode, go in as
 * JSON, what they mean comes out: a session, the board's state, and
 * what became of the job the backend follows.
 *
 *   rrf.c	the answers of rr_connect, rr_upload and rr_model (keys
 *		state, with its message box, job and heat), of DSF's
 *		/machine/connect and /machine/model (the same keys, whole),
 *		the replies of rr_reply and /machine/code, and the job's
 *		fate from the board's states seen one after another
 */
#ifndef GSPOOL_RRF_H
#define GSPOOL_RRF_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

/* state.status, as the object model names them. */
enum rrf_status {
	RRF_UNKNOWN,
	RRF_IDLE,
	RRF_BUSY,		/* a macro or a code runs */
	RRF_PROCESSING,		/* printing */
	RRF_SIMULATING,
	RRF_PAUSING,
	RRF_PAUSED,
	RRF_RESUMING,
	RRF_CANCELLING,
	RRF_HALTED,		/* emergency stop or fatal error */
	RRF_OFF,		/* the power supply is off */
	RRF_STARTING,
	RRF_CONFIGURING,
	RRF_UPDATING,
	RRF_CHANGINGTOOL,
	RRF_DISCONNECTED	/* DSF's: the computer has lost the board */
};

enum rrf_status	 rrf_status_parse(const char *name);
const char	*rrf_status_name(enum rrf_status s);

#define RRF_SBC_KEY	128	/* the most of a DSF session key kept */

/* A session, from rr_connect's answer (or /machine/connect's: sbc). */
struct rrf_session {
	int		 open;
	int		 has_key;	/* sessionKey given: X-Session-Key */
	long long	 key;
	int		 emulated;	/* rr_connect's isEmulated: a DSF */
	int		 sbc;		/* a DSF's session: sbc_key, if any */
	char		 sbc_key[RRF_SBC_KEY];
	long		 timeout_ms;	/* sessionTimeout */
	long		 api_level;	/* apiLevel, 0 if none */
	char		 board[64];	/* boardType */
};

enum rrf_connect {
	RRF_CONNECTED,
	RRF_WRONG_PASSWORD,	/* err 1 */
	RRF_NO_SESSION,		/* err 2: the board has none left */
	RRF_BAD_ANSWER
};

/*
 * state.messageBox: a message box an M291 shows (none if box.mode < 0).
 * mode 0 has no buttons, 1 Close, 2 OK, 3 OK and Cancel, 4 (RRF 3.5) a
 * choice among choices[]; 5 to 7 ask for a value, which no button
 * gives.  cancelButton adds Cancel to modes 4 to 7.  It is answered by
 * M292: P0 for OK or Close (with R, the choice's index), P1 Cancel, and
 * S the box's seq where the board gives one.
 */
#define RRF_BOX_CHOICES	8
#define RRF_BOX_TEXT	128

struct rrf_box {
	int		 mode;		/* -1: no box */
	long long	 seq;		/* -1: none given */
	int		 cancel;	/* cancelButton */
	char		 text[RRF_BOX_TEXT];	/* "TITLE: MESSAGE" */
	int		 nbuttons;
	char		 button[RRF_BOX_CHOICES][48];
	char		 code[RRF_BOX_CHOICES][48];	/* each one's M292 */
};

/* What the board says of itself and its job, from rr_model. */
struct rrf_view {
	enum rrf_status	 status;
	long long	 uptime;	/* state.upTime, -1 unknown */
	char		 file[256];	/* job.file.fileName, "" none */
	long long	 size;		/* job.file.size, -1 unknown */
	long long	 pos;		/* job.filePosition, -1 unknown */
	long		 layer;		/* job.layer, 0 none */
	long		 layers;	/* job.file.numLayers, 0 none */
	char		 last_file[256];	/* job.lastFileName */
	int		 has_last_flags;	/* lastFileCancelled/Aborted
					 * given (an SBC's) */
	int		 last_cancelled, last_aborted;
	int		 has_bed, has_tool;
	double		 bed[2], tool[2];	/* current, active */
	struct rrf_box	 box;		/* state.messageBox */
};

/* What became of the job followed, from the views in turn. */
enum rrf_fate {
	RRF_F_WAITING,		/* not yet seen printing it */
	RRF_F_PRINTING,
	RRF_F_PAUSING,
	RRF_F_PAUSED,
	RRF_F_CANCELING,
	RRF_F_COMPLETED,
	RRF_F_CANCELED,		/* stopped while paused: a cancel */
	RRF_F_HALTED,
	RRF_F_RESTARTED,	/* upTime went back: the board restarted */
	RRF_F_POWER_OFF,
	RRF_F_OTHER_FILE,		/* the board prints another file */
	RRF_F_NOT_STARTED		/* never seen printing it */
};

struct rrf_track {
	char		 name[256];	/* ours, as fileName gives it */
	char		 last_before[256];	/* lastFileName at the start */
	enum rrf_status	 last;		/* the last status seen with ours */
	long long	 uptime;
	long		 layers;	/* numLayers, as last seen printing */
	int		 seen;
	int		 waits;
};

#define RRF_WAITS	10	/* views before a job not started is given up */

/* rrf.c: the answers; 0, or -1 with why. */
enum rrf_connect rrf_connect_parse(json_t *answer, struct rrf_session *s,
	    char *why, size_t whysz);
enum rrf_connect rrf_sbc_connect_parse(json_t *answer, struct rrf_session *s,
	    char *why, size_t whysz);
int	rrf_err(json_t *answer);
int	rrf_view_state(json_t *answer, struct rrf_view *v, char *why,
	    size_t whysz);
int	rrf_view_job(json_t *answer, struct rrf_view *v, char *why,
	    size_t whysz);
int	rrf_view_heat(json_t *answer, struct rrf_view *v, char *why,
	    size_t whysz);
/* The whole object model, as DSF's /machine/model gives it. */
int	rrf_view_model(json_t *model, struct rrf_view *v, char *why,
	    size_t whysz);
void	rrf_view_init(struct rrf_view *v);
/* The box's buttons joined by newlines into out. */
void	rrf_box_buttons(const struct rrf_box *b, char *out, size_t outsz);
int	rrf_printing(enum rrf_status s);

void	rrf_track_start(struct rrf_track *t, const char *name,
	    const struct rrf_view *before);
enum rrf_fate rrf_track(struct rrf_track *t, const struct rrf_view *v);
const char	*rrf_fate_name(enum rrf_fate f);

int	rrf_reply_error(const char *reply, char *out, size_t outsz);
int	rrf_m32(const char *path, char *out, size_t outsz);
void	rrf_time(time_t t, char *out, size_t outsz);
void	rrf_temps(const struct rrf_view *v, char *out, size_t outsz);

#endif
