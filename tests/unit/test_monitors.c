/* test_monitors.c - what every built monitor declares, read from the real registry (no BPF is
 * loaded: only the static tables): its metrics against its own columns (indices in range,
 * numeric values, result labels on signed columns, valid and unique names, families that
 * agree), and the attach: choices derived from its points. */
#include <check.h>
#include <string.h>

#include "monitors/monitor.h"
#include "testutil.h"

static bool prom_name_char(char c, bool first, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* (metric) or [a-zA-Z_][a-zA-Z0-9_]* not starting "__" (label). */
static bool prom_name(const char *s, bool metric)
{
	if (!s || !*s || (!metric && !strncmp(s, "__", 2)))
		return false;
	for (size_t i = 0; s[i]; i++) {
		if (!prom_name_char(s[i], i == 0, metric))
			return false;
	}
	return true;
}

static bool numeric(enum col_type t)
{
	return t == COL_U64 || t == COL_S64 || t == COL_F64;
}

static size_t nlabels(const struct metric_spec *sp)
{
	size_t n = 0;

	while (n < METRIC_MAX_LABELS && sp->labels[n].name)
		n++;
	return n;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

static void check_metric(const struct monitor_ops *o, size_t i)
{
	const struct metric_spec *sp = &o->metrics[i];
	const char *fam = sp->family;
	int ncols = (int)o->ncolumns;

	ck_assert_msg(prom_name(fam, true), "%s metric %zu: family '%s'", o->name, i,
		      fam ? fam : "(null)");
	if (sp->histogram) {
		ck_assert_msg(sp->value == -1 && sp->minus == -1,
			      "%s %s: a histogram takes no value/minus column", o->name, fam);
		ck_assert_msg(!ends_with(fam, "_total"), "%s %s: a histogram ending _total",
			      o->name, fam);
	} else {
		ck_assert_msg(ends_with(fam, "_total"), "%s %s: a counter not ending _total",
			      o->name, fam);
		ck_assert_msg(sp->value >= -1 && sp->value < ncols, "%s %s: value column %d",
			      o->name, fam, sp->value);
		ck_assert_msg(sp->value == -1 || numeric(o->columns[sp->value].type),
			      "%s %s: value column %s is not a number", o->name, fam,
			      o->columns[sp->value].name);
		ck_assert_msg(sp->minus >= -1 && sp->minus < ncols, "%s %s: minus column %d",
			      o->name, fam, sp->minus);
		ck_assert_msg(sp->minus == -1 || sp->value >= 0, "%s %s: minus without a value",
			      o->name, fam);
		ck_assert_msg(sp->minus == -1 || numeric(o->columns[sp->minus].type),
			      "%s %s: minus column %s is not a number", o->name, fam,
			      o->columns[sp->minus].name);
	}
	for (size_t l = 0; l < METRIC_MAX_LABELS && sp->labels[l].name; l++) {
		const struct metric_label *lb = &sp->labels[l];

		ck_assert_msg(prom_name(lb->name, false), "%s %s: label '%s'", o->name, fam,
			      lb->name);
		ck_assert_msg(strcmp(lb->name, "le") || !sp->histogram,
			      "%s %s: label le on a histogram", o->name, fam);
		for (size_t k = 0; k < l; k++)
			ck_assert_msg(strcmp(sp->labels[k].name, lb->name), "%s %s: label %s twice",
				      o->name, fam, lb->name);
		switch (lb->kind) {
		case ML_FIXED:
			ck_assert_msg(lb->value != NULL, "%s %s: fixed label %s without a value",
				      o->name, fam, lb->name);
			ck_assert_msg(!lb->bounded, "%s %s: fixed label %s bounded", o->name, fam,
				      lb->name);
			break;
		case ML_COLUMN:
			ck_assert_msg(lb->col >= 0 && lb->col < ncols, "%s %s: label %s column %d",
				      o->name, fam, lb->name, lb->col);
			ck_assert_msg(o->columns[lb->col].type != COL_TIMESTAMP &&
					      o->columns[lb->col].type != COL_TIMESTR,
				      "%s %s: label %s on a time column", o->name, fam, lb->name);
			break;
		case ML_RESULT:
			ck_assert_msg(lb->col >= 0 && lb->col < ncols, "%s %s: label %s column %d",
				      o->name, fam, lb->name, lb->col);
			ck_assert_msg(o->columns[lb->col].type == COL_S64,
				      "%s %s: result label %s on %s, not a COL_S64 column", o->name,
				      fam, lb->name, o->columns[lb->col].name);
			break;
		default:
			ck_abort_msg("%s %s: label %s of kind %d", o->name, fam, lb->name,
				     (int)lb->kind);
		}
	}
	/* Past the fixed array, no label can hide. */
	ck_assert_uint_le(nlabels(sp), METRIC_MAX_LABELS);
}

/* The first metric of the family over every monitor, in registry and table order. */
static const struct metric_spec *first_of_family(const char *fam)
{
	for (size_t m = 0; m < monitor_registry_count; m++) {
		const struct monitor_ops *o = monitor_registry[m];

		for (size_t i = 0; i < o->nmetrics; i++) {
			if (!strcmp(o->metrics[i].family, fam))
				return &o->metrics[i];
		}
	}
	return NULL;
}

START_TEST(metrics_match_columns)
{
	size_t total = 0;

	for (size_t m = 0; m < monitor_registry_count; m++) {
		const struct monitor_ops *o = monitor_registry[m];

		ck_assert_msg(!o->nmetrics || o->metrics, "%s: nmetrics without metrics", o->name);
		for (size_t i = 0; i < o->nmetrics; i++, total++)
			check_metric(o, i);
	}
	/* every built monitor exports something */
	for (size_t m = 0; m < monitor_registry_count; m++)
		ck_assert_msg(monitor_registry[m]->nmetrics > 0, "%s: no metrics",
			      monitor_registry[m]->name);
	ck_assert_uint_gt(total, 0);
}
END_TEST

START_TEST(families_agree)
{
	for (size_t m = 0; m < monitor_registry_count; m++) {
		const struct monitor_ops *o = monitor_registry[m];

		for (size_t i = 0; i < o->nmetrics; i++) {
			const struct metric_spec *sp = &o->metrics[i];
			const struct metric_spec *first = first_of_family(sp->family);
			size_t n = nlabels(sp);

			if (first == sp) {
				ck_assert_msg(sp->help && *sp->help, "%s %s: no help", o->name,
					      sp->family);
				continue;
			}
			ck_assert_msg(first->histogram == sp->histogram,
				      "%s %s: counter and histogram", o->name, sp->family);
			ck_assert_msg(nlabels(first) == n, "%s %s: %zu labels, the first has %zu",
				      o->name, sp->family, n, nlabels(first));
			for (size_t l = 0; l < n; l++)
				ck_assert_msg(!strcmp(first->labels[l].name, sp->labels[l].name),
					      "%s %s: label %zu is %s, the first's %s", o->name,
					      sp->family, l, sp->labels[l].name,
					      first->labels[l].name);
		}
	}
}
END_TEST

/* A label value that is the same for every row cannot tell the series of a family apart:
 * metrics sharing a family must differ in a constant label. */
START_TEST(family_members_differ)
{
	for (size_t m = 0; m < monitor_registry_count; m++) {
		const struct monitor_ops *o = monitor_registry[m];

		for (size_t i = 0; i < o->nmetrics; i++) {
			for (size_t j = 0; j < i; j++) {
				const struct metric_spec *a = &o->metrics[i], *b = &o->metrics[j];
				bool differ = false;

				if (strcmp(a->family, b->family))
					continue;
				for (size_t l = 0; l < nlabels(a) && l < nlabels(b); l++)
					differ |= a->labels[l].kind == ML_FIXED &&
						  b->labels[l].kind == ML_FIXED &&
						  strcmp(a->labels[l].value, b->labels[l].value);
				ck_assert_msg(differ,
					      "%s %s: two metrics with no constant label "
					      "telling them apart",
					      o->name, a->family);
			}
		}
	}
}
END_TEST

static const char *choices_text(const char *const *c)
{
	static char buf[256];
	size_t o = 0;

	buf[0] = '\0';
	for (; *c; c++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? ", " : "", *c);
	return buf;
}

START_TEST(attach_choices_from_points)
{
	/* what each monitor's hand-written list said before the lists were derived */
	static const struct {
		const char *monitor, *choices;
	} want[] = {
		{ "exec", "auto, kprobe, tracepoint, raw_syscalls" },
#if defined(__x86_64__) || defined(__aarch64__)
		{ "syscall", "auto, raw_tracepoint, tracepoint" },
#else /* the raw tracepoint's probe knows x86_64's and arm64's pt_regs only */
		{ "syscall", "auto, tracepoint" },
#endif
		{ "context_switch", "auto, tracepoint" },
		{ "page_fault", "auto, perf_event" },
		{ "open", "auto, tracepoint, kprobe, raw_syscalls" },
		{ "interrupt", "auto, tracepoint" },
		{ "bio", "auto, tracepoint" },
		{ "func", "auto, kprobe, kfunc" },
	};
	static const struct monitor_ops stranger = { .name = "stranger" };

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct monitor_ops *o = monitor_find(want[i].monitor);

		if (!o)
			continue; /* not built */
		ck_assert_str_eq(choices_text(monitor_attach_choices(o)), want[i].choices);
		/* computed once */
		ck_assert_ptr_eq(monitor_attach_choices(o), monitor_attach_choices(o));
	}
	for (size_t m = 0; m < monitor_registry_count; m++) {
		const struct monitor_ops *o = monitor_registry[m];
		size_t names = 0, n = 0;

		/* none left out for want of room */
		for (size_t p = 0; p < o->npoints; p++) {
			for (const struct attach_alt *a = o->points[p].alts; a->name; a++)
				names++;
		}
		while (monitor_attach_choices(o)[n])
			n++;
		ck_assert_uint_lt(n, MONITOR_MAX_CHOICES);
		ck_assert_msg(n > 1 && n <= names + 1, "%s: %zu choices", o->name, n);
	}
	ck_assert_str_eq(choices_text(monitor_attach_choices(&stranger)), "auto");
}
END_TEST

START_TEST(schemas_carry_the_choices)
{
	struct monitor_schema s[CONFIG_MAX_MONITORS];
	size_t n = monitor_schemas(s, CONFIG_MAX_MONITORS);

	ck_assert_uint_eq(n, monitor_registry_count);
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_eq(s[i].attach_choices, monitor_attach_choices(monitor_registry[i]));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("monitors");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, metrics_match_columns);
	tcase_add_test(tc, families_agree);
	tcase_add_test(tc, family_members_differ);
	tcase_add_test(tc, attach_choices_from_points);
	tcase_add_test(tc, schemas_carry_the_choices);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
