/* cmd_plan.c - placeholder until the 'plan' command lands: refuses with a message. */
#include "cli.h"

int cmd_plan(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'plan' is not available in this build yet");
	return KUP_EXIT_ERROR;
}
