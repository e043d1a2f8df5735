/* The registry of cases (case-list.h) as data: its suites, and the cases a command line selects. */
#ifndef VMCONFORM_SELECTION_H
#define VMCONFORM_SELECTION_H

#include <stdio.h>

#include "case.h"

/* The suites in registry order, each once, NULL-terminated: "power", "qmp-power", "snapshot". */
const char *const *vc_suites(void);

/* The same, as one line for messages: "power, qmp-power, snapshot". */
const char *vc_suites_text(void);

/* What a command line selects. A glob matches "suite.name" or "name"; NULL means no filter. */
typedef struct {
    char **case_globs;    /* only cases matching one of these */
    char **exclude_globs; /* then leave out those matching one of these */
    char **suite_names;   /* only cases of these suites */
    gboolean smoke;       /* only VC_SMOKE cases */
} VcSelection;

/* The cases, in registry order, that pass every filter of sel. The array holds pointers into the
 * registry; an empty one when nothing matches. */
GPtrArray *vc_select_cases(const VcSelection *sel);

/* --list: "<suite>.<name>\t<doc> §<section>\t<summary>" per case. */
void vc_print_cases(FILE *out, GPtrArray *cases);

#endif /* VMCONFORM_SELECTION_H */
