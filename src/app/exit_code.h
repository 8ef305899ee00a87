/* exit_code.h - the one place where a failure becomes one of the documented exit codes
 * (README, "exit code"; cli.h's enum exit_code). */
#ifndef EM_EXIT_CODE_H
#define EM_EXIT_CODE_H

/* What was being done when it failed: the same errno means different things at different steps
 * (ENOMEM while creating the CSV files is an output failure, exit 5; anywhere else, exit 1). */
enum app_step {
	APP_STEP_CONFIG, /* the configuration and the monitor selection: 2 */
	APP_STEP_SUPPORT, /* privilege, kernel support, monitors that cannot attach: 3 (-ENOMEM: 1) */
	APP_STEP_DIRS,	  /* the output, log and PID file directories: 5 */
	APP_STEP_PIDFILE, /* the PID file: -EEXIST 4 (held), -ELOOP/-EPERM 5 (planted), else 1 */
	APP_STEP_OUTPUT,  /* the row outputs (output directory unusable): 5 */
	APP_STEP_WEBCFG,  /* the metrics endpoint's web configuration file: 2; a file holding a
			     secret that is unsafe (-EPERM) 5; -ENOMEM 1 */
	APP_STEP_RUN,	  /* anything else: daemonizing, the metrics endpoint, the event loop: 1 */
};

/* err: 0 or -errno, as the step's function returned it. 0 is always EXIT_OK. */
int app_exit_code(enum app_step step, int err);

#endif
