/*
 * fuzz_prompt - libFuzzer target: arbitrary host actions from a printer
 * (the text after "//action:", one a line), through the host prompt a
 * backend keeps (lib/prompt.c), and arbitrary choices against it.
 *
 * Invariants, besides no crash, after every line:
 * - the message and each button fit their bounds, hold no control byte
 *   and are UTF-8; a button is never empty; at most PROMPT_BUTTONS;
 * - a prompt shown is open; an end leaves nothing;
 * - each button is chosen by its index and by its text in another case
 *   (the first button of that text); the index past the last, and a
 *   choice on a prompt not open, are refused with a reason;
 * - the buttons joined by newlines give the same choices
 *   (prompt_choice_of, as spoold answers from them).
 * `make fuzz' builds and runs it; `make check' runs the seeds.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prompt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant: %s (line" \
	" %d)\n", #c, __LINE__); abort(); } } while (0)

/* No control byte, and UTF-8 (clean_text's promise). */
static void
check_clean(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	int k;

	CHECK(n < max);
	while (*p) {
		CHECK(*p >= 0x20 && *p != 0x7f);
		if (*p < 0x80) {
			p++;
			continue;
		}
		k = (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
		    (*p & 0xf8) == 0xf0 ? 3 : -1;
		CHECK(k > 0);
		for (p++; k > 0; k--, p++)
			CHECK((*p & 0xc0) == 0x80);
	}
}

static void
check_prompt(const struct prompt *pr, const char *choice)
{
	char why[512], idx[16], upper[PROMPT_BUTTON];
	char joined[PROMPT_BUTTONS * PROMPT_BUTTON];
	int i, j, k;

	CHECK(pr->nbuttons >= 0 && pr->nbuttons <= PROMPT_BUTTONS);
	CHECK(!pr->shown || pr->open);
	if (!pr->open) {
		CHECK(pr->nbuttons == 0 && pr->text[0] == '\0');
		CHECK(prompt_choice(pr, "0", why, sizeof(why)) == -1 &&
		    why[0] != '\0');
		return;
	}
	check_clean(pr->text, PROMPT_TEXT);
	prompt_buttons(pr, joined, sizeof(joined));
	for (i = 0; i < pr->nbuttons; i++) {
		check_clean(pr->button[i], PROMPT_BUTTON);
		CHECK(pr->button[i][0] != '\0');
		snprintf(idx, sizeof(idx), "%d", i);
		CHECK(prompt_choice(pr, idx, why, sizeof(why)) == i);
		CHECK(prompt_choice_of(joined, idx, why, sizeof(why)) == i);
		for (j = 0; pr->button[i][j] != '\0'; j++)
			upper[j] = (char)toupper((unsigned char)pr->button[i][j]);
		upper[j] = '\0';
		/* A digit first is read as an index. */
		if (isdigit((unsigned char)upper[0]))
			continue;
		k = prompt_choice(pr, upper, why, sizeof(why));
		CHECK(k >= 0 && k <= i &&
		    strcasecmp(pr->button[k], pr->button[i]) == 0);
		CHECK(prompt_choice_of(joined, upper, why, sizeof(why)) == k);
	}
	snprintf(idx, sizeof(idx), "%d", pr->nbuttons);
	CHECK(prompt_choice(pr, idx, why, sizeof(why)) == -1 && why[0]);
	/* Any choice: a button's index, or refused with why. */
	why[0] = '\0';
	k = prompt_choice(pr, choice, why, sizeof(why));
	CHECK((k >= 0 && k < pr->nbuttons) || (k == -1 && why[0] != '\0'));
	CHECK(prompt_choice_of(joined, choice, why, sizeof(why)) == k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prompt pr;
	char line[1024];
	size_t i, n = 0;
	enum prompt_change c;

	prompt_init(&pr);
	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n' && data[i] != '\0') {
			if (n < sizeof(line) - 1)
				line[n++] = (char)data[i];
			continue;
		}
		line[n] = '\0';
		n = 0;
		c = prompt_action(&pr, line);
		if (strncmp(line, "prompt_end", 10) == 0 &&
		    (line[10] == '\0' || line[10] == ' '))
			CHECK(!pr.open && (c == PROMPT_ENDED || c == PROMPT_NONE));
		if (c == PROMPT_SHOWN)
			CHECK(pr.shown);
		if (c == PROMPT_BEGUN)
			CHECK(pr.open && !pr.shown && pr.nbuttons == 0);
		if (!prompt_is_action(line))
			CHECK(c == PROMPT_NONE);
		/* The line itself as a choice, too. */
		check_prompt(&pr, line);
	}
	return 0;
}
