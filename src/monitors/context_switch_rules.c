/* context_switch_rules.c - see context_switch_rules.h. */
#include "monitors/context_switch_rules.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned long context_switch_preempt_bit(unsigned major, unsigned minor)
{
	unsigned v = major * 1000 + minor;

	/* TASK_REPORT_MAX since 4.14; before, TASK_STATE_MAX, which grew with new states. */
	if (v >= 4014)
		return 0x100;
	if (v >= 4008)
		return 4096; /* after TASK_NEW */
	if (v >= 4002)
		return 2048; /* after TASK_NOLOAD */
	return 1024;	     /* 3.x: after TASK_PARKED */
}

/* A tiny evaluator for the constant expressions of a format file's print fmt: numbers (decimal
 * or 0x hex), parentheses, + - << & |, with C's precedence. */
struct expr {
	const char *p;
	bool bad;
};

static void skip_ws(struct expr *e)
{
	while (*e->p == ' ' || *e->p == '\t')
		e->p++;
}

static unsigned long long expr_or(struct expr *e);

static unsigned long long expr_unary(struct expr *e)
{
	unsigned long long v;
	char *end;

	skip_ws(e);
	if (*e->p == '(') {
		e->p++;
		v = expr_or(e);
		skip_ws(e);
		if (*e->p != ')')
			e->bad = true;
		else
			e->p++;
		return v;
	}
	if (!isdigit((unsigned char)*e->p)) {
		e->bad = true;
		return 0;
	}
	v = strtoull(e->p, &end, 0);
	e->p = end;
	return v;
}

static unsigned long long expr_add(struct expr *e)
{
	unsigned long long v = expr_unary(e);

	for (skip_ws(e); !e->bad && (*e->p == '+' || *e->p == '-'); skip_ws(e)) {
		char op = *e->p++;
		unsigned long long r = expr_unary(e);

		v = op == '+' ? v + r : v - r;
	}
	return v;
}

static unsigned long long expr_shift(struct expr *e)
{
	unsigned long long v = expr_add(e);

	for (skip_ws(e); !e->bad && e->p[0] == '<' && e->p[1] == '<'; skip_ws(e)) {
		unsigned long long r;

		e->p += 2;
		r = expr_add(e);
		v = r < 64 ? v << r : 0;
	}
	return v;
}

static unsigned long long expr_and(struct expr *e)
{
	unsigned long long v = expr_shift(e);

	for (skip_ws(e); !e->bad && *e->p == '&' && e->p[1] != '&'; skip_ws(e)) {
		e->p++;
		v &= expr_shift(e);
	}
	return v;
}

static unsigned long long expr_or(struct expr *e)
{
	unsigned long long v = expr_and(e);

	for (skip_ws(e); !e->bad && *e->p == '|' && e->p[1] != '|'; skip_ws(e)) {
		e->p++;
		v |= expr_and(e);
	}
	return v;
}

bool context_switch_preempt_bit_from_format(const char *format, unsigned long *bit)
{
	static const char mark[] = "REC->prev_state &";
	const char *plus, *start = NULL;
	struct expr e;
	unsigned long long v;

	if (!format || !(plus = strstr(format, "? \"+\"")))
		return false;
	/* the last "REC->prev_state &" before the marker's "? "+"" */
	for (const char *s = strstr(format, mark); s && s < plus; s = strstr(s + 1, mark))
		start = s + sizeof(mark) - 1;
	if (!start)
		return false;
	e.p = start;
	e.bad = false;
	v = expr_or(&e);
	skip_ws(&e);
	/* the whole expression up to the '?', and one bit */
	if (e.bad || e.p != plus || !v || (v & (v - 1)))
		return false;
	*bit = (unsigned long)v;
	return true;
}

bool context_switch_voluntary(int64_t prev_state, unsigned long preempt_bit)
{
	return prev_state != 0 && !((uint64_t)prev_state & preempt_bit);
}
