/* usage.h - --help and --version. */
#ifndef EM_USAGE_H
#define EM_USAGE_H

/* The options, the monitors (name and description) and the exit codes, on stdout. */
void app_print_help(void);
/* "ebpf-monitor <version> (libbcc <version>, kernel <release>)" on stdout. */
void app_print_version(void);

#endif
