/* usage.c - --help and --version. */
#include "app/usage.h"

#include <stdio.h>
#include <sys/utsname.h>

#include "core/config.h"
#include "monitors/monitor.h"

void app_print_help(void)
{
	struct monitor_schema schemas[CONFIG_MAX_MONITORS];
	size_t n = monitor_schemas(schemas, CONFIG_MAX_MONITORS);

	printf("Usage: ebpf-monitor [OPTIONS]\n"
	       "Low-overhead Linux system monitor: BPF probes, CSV files, a live console table.\n"
	       "\n"
	       "Options:\n"
	       "  -c, --config PATH     config file (default: ./config/monitor_config.yaml, then\n"
	       "                        /etc/ebpf-monitor/monitor_config.yaml, else built-in "
	       "defaults)\n"
	       "  -m, --monitors LIST   run exactly these monitors, comma-separated\n"
	       "  -v, --verbose         debug logging on the console\n"
	       "  -p, --pid PID[,PID]   only measure these processes (tgids); repeatable;\n"
	       "                        replaces filters.pids of the config for every monitor\n"
	       "  -u, --uid USER[,USER] only measure tasks of these users (names or UIDs);\n"
	       "                        repeatable; replaces filters.uids for every monitor\n"
	       "      --comm NAME[,NAME] only measure tasks with exactly these names (at most\n"
	       "                        15 bytes, as the kernel keeps them); repeatable\n"
	       "      --unit UNIT[,UNIT] only measure tasks of these systemd units, named in\n"
	       "                        full (nginx.service, session-3.scope); repeatable;\n"
	       "                        replaces filters.units for every monitor\n"
	       "      --container ID[,ID] only measure tasks of these containers (Docker,\n"
	       "                        containerd, CRI-O, Podman): a full ID or a prefix of at\n"
	       "                        least 4 lowercase hex digits; repeatable; replaces\n"
	       "                        filters.containers for every monitor\n"
	       "  -d, --daemon          run in the background (PID file: app.pid_file)\n"
	       "      --daemon-status   is it running? (exit 0 running, 1 dead but PID file\n"
	       "                        exists, 3 not running)\n"
	       "      --daemon-stop     stop it: SIGTERM, then SIGKILL after 10 s\n"
	       "      --duration SECS   stop cleanly after SECS seconds\n"
	       "      --format LIST     row outputs, comma-separated: csv, jsonl (files beside\n"
	       "                        the CSV ones), jsonl-stdout (JSON lines on stdout);\n"
	       "                        replaces output.format (default csv)\n"
	       "      --top             a full-screen view of one aggregating monitor (-m NAME):\n"
	       "                        each interval's rows by count, at most a screenful,\n"
	       "                        under its totals; q quits, s/S change the sort column\n"
	       "      --sort COLUMN     the --top view's first sort column (a number the table\n"
	       "                        shows: count, errors, avg_latency_us, ...)\n"
	       "      --check           report what this kernel supports and how each monitor\n"
	       "                        would attach; loads nothing permanently\n"
	       "  -V, --version         print the version\n"
	       "  -h, --help            this help\n"
	       "\n"
	       "Monitors:\n");
	for (size_t i = 0; i < n; i++) {
		const struct monitor_ops *o = monitor_find(schemas[i].name);

		printf("  %-16s %s\n", o->name, o->description);
	}
	printf("\n"
	       "Exit status:\n"
	       "  0  success\n"
	       "  1  runtime failure (BPF load or attach, output error, metrics port taken)\n"
	       "  2  usage or configuration error (nothing was loaded)\n"
	       "  3  missing privilege or kernel support (not root, no BPF, no headers)\n"
	       "  4  already running (the PID file is held by another instance)\n"
	       "  5  output directory unusable (read-only, not writable), or an output, log or\n"
	       "     PID directory unsafe (writable by all users, another user's), or the\n"
	       "     metrics endpoint's key or web config file readable by all users or another\n"
	       "     user's, see SECURITY in ebpf-monitor(8)\n"
	       "SIGTERM/SIGINT stop cleanly (everything flushed); SIGHUP reopens the log and\n"
	       "CSV files and reloads the configuration.\n");
}

void app_print_version(void)
{
	struct utsname u;

	uname(&u);
	printf("ebpf-monitor %s (libbcc %s, kernel %s)\n", EM_VERSION, EM_BCC_VERSION, u.release);
}
