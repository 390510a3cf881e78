/*
 * main: parses flags, wires the modules together and runs the loop.
 * (First sketch: the wiring grows with each part of the controller.)
 */
#include <stdio.h>
#include <string.h>

#include "dryrun.h"

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--dry-run") == 0)
			return dryrun_main(argc, argv);
	fprintf(stderr, "artifact-generator: not implemented yet\n");
	return 1;
}
