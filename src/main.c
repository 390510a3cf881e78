/*
 * main: parses flags, wires the modules together and runs the loop.
 * (First sketch: the wiring grows with each part of the controller.)
 */
#include <stdio.h>

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "artifact-generator: not implemented yet\n");
	return 1;
}
