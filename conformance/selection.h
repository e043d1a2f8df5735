/* The registry of cases (case-list.h) as data: its suites, and the cases a command line selects. */
#ifndef VMCONFORM_SELECTION_H
#define VMCONFORM_SELECTION_H

#include <stdio.h>

#include "case.h"

/* The suites in registry order, each once, NULL-terminated: "power", "qmp-power", "snapshot". */
const char *const *vc_suites(void);

/* The same, as one line for messages: "power, qmp-power, snapshot". */
const char *vc_suites_text(void);

/* The cases, in registry order, that pass every filter given: case_globs (NULL = all; a glob
 * matches "suite.name" or "name"), suite_names (NULL = all), and smoke (only VC_SMOKE cases).
 * The array holds pointers into the registry; an empty one when nothing matches. */
GPtrArray *vc_select_cases(char **case_globs, char **suite_names, gboolean smoke);

/* --list: "<suite>.<name>\t<doc> §<section>\t<summary>" per case. */
void vc_print_cases(FILE *out, GPtrArray *cases);

#endif /* VMCONFORM_SELECTION_H */
